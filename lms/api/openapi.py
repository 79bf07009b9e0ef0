"""The OpenAPI 3.1 document served at /api/v1/openapi.json.

Built as a plain dict so it grows with each feature: add the new schemas to SCHEMAS and
one `_route(...)` entry per new route in `_paths()`. A test checks that every route under
/api/v1 is described here (and nothing else is), validates the document, and checks real
responses against the schemas.
"""
from __future__ import annotations

from flask import current_app

from lms.api.params import MAX_PAGE
from lms.bookings.models import ENDED_REASONS
from lms.bookings.models import STATUSES as BOOKING_STATUSES
from lms.catalogue.models import DELIVERY_MODES, LEVELS
from lms.records.models import SOURCES

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
SERVER_PATH = "/api/v1"


# --- small helpers --------------------------------------------------------------------

def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    """The schema, or null."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    schema = dict(schema)
    schema["type"] = [schema["type"], "null"]
    return schema


def string(description: str | None = None, **extra) -> dict:
    schema = {"type": "string", **extra}
    if description:
        schema["description"] = description
    return schema


def integer(description: str | None = None, **extra) -> dict:
    schema = {"type": "integer", **extra}
    if description:
        schema["description"] = description
    return schema


def boolean(description: str | None = None) -> dict:
    schema: dict = {"type": "boolean"}
    if description:
        schema["description"] = description
    return schema


def array(items: dict, description: str | None = None) -> dict:
    schema = {"type": "array", "items": items}
    if description:
        schema["description"] = description
    return schema


def obj(properties: dict, *, description: str | None = None, optional: tuple[str, ...] = ()) -> dict:
    """An object whose properties are all required unless named in `optional`."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }
    if description:
        schema["description"] = description
    return schema


def page_of(item: str) -> dict:
    return obj(
        {
            "items": array(ref(item)),
            "page": integer("This page's number, from 1.", minimum=1),
            "per_page": integer("Items per page.", minimum=1),
            "total": integer("Items on every page together.", minimum=0),
            "next": nullable(string("The URL of the next page; null on the last page.", format="uri")),
        },
        description=f"One page of {item} items.",
    )


def list_of(item: str) -> dict:
    return obj({"items": array(ref(item))}, description=f"Every {item}.")


def query_param(name: str, schema: dict, description: str, *, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def path_param(name: str, description: str, schema: dict | None = None) -> dict:
    """A path parameter: an id (a whole number from 1) unless another schema is given."""
    return {
        "name": name, "in": "path", "required": True, "description": description,
        "schema": schema if schema is not None else integer(minimum=1),
    }


def list_query_param(name: str, items: dict, description: str) -> dict:
    """A query parameter that may be repeated (name=a&name=b); the API also takes a comma list."""
    return {
        **query_param(name, array(items), description),
        "style": "form",
        "explode": True,
    }


def json_request(schema: dict, description: str) -> dict:
    return {"required": True, "description": description, "content": json_content(schema)}


def page_params() -> list[dict]:
    return [{"$ref": "#/components/parameters/page"}, {"$ref": "#/components/parameters/per_page"}]


def json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def error_refs(*codes: int) -> dict:
    return {str(code): {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"} for code in codes}


def operation(
    operation_id: str,
    summary: str,
    *,
    tag: str,
    response: dict,
    description: str | None = None,
    parameters: list[dict] | None = None,
    errors: tuple[int, ...] = (),
    public: bool = False,
    request_body: dict | None = None,
    ok: str = "OK",
    created: str | None = None,
) -> dict:
    """One operation. Authenticated operations may always answer 401 and 500. `created`
    describes a 201 answer with the same body as the 200 one (`ok` describes that)."""
    codes = tuple(sorted(set(errors) | ({500} if public else {401, 500})))
    successes = {"200": {"description": ok, "content": json_content(response)}}
    if created:
        successes["201"] = {"description": created, "content": json_content(response)}
    op = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "responses": {**successes, **error_refs(*codes)},
    }
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = parameters
    if request_body:
        op["requestBody"] = request_body
    if public:
        op["security"] = []
    return op


def _route(paths: dict, path: str, method: str, op: dict) -> None:
    if method in paths.setdefault(path, {}):
        raise ValueError(f"{method.upper()} {path} is described twice")
    paths[path][method] = op


# --- schemas --------------------------------------------------------------------------

FIELD_ERROR = obj(
    {
        "field": string("The parameter or field the message is about."),
        "message": string("What is wrong, and how to put it right."),
    }
)

ERROR = obj(
    {
        "error": string(
            "The HTTP status name in lower case with hyphens.",
            enum=[
                "bad-request", "unauthorized", "forbidden", "not-found", "method-not-allowed",
                "conflict", "unprocessable-entity", "server-error",
            ],
        ),
        "message": string("A sentence for people."),
        "errors": array(ref("FieldError"), "One entry per bad parameter or field, when relevant."),
    },
    optional=("errors",),
    description="Every error from the API has this shape.",
)

ORGANISATION = obj(
    {
        "id": integer(),
        "name": string(),
        "type": string("Organisation type code, e.g. primary-school."),
        "sector": string("Sector code, e.g. education."),
        "area": nullable(string("Area code.")),
        "urn": nullable(string("DfE URN or Ofsted number.")),
        "active": boolean("False once the organisation has closed or merged."),
    }
)

ORGANISATION_SUMMARY = obj({"id": integer(), "name": string()})

JOB_ROLE_HELD = obj(
    {
        "code": string("Job role code, e.g. school-dsl."),
        "name": string(),
        "started_on": string(format="date"),
        "ended_on": nullable(string("Null while the role is held.", format="date")),
    }
)

PERSON_PROPERTIES = {
    "id": integer(),
    "email": string(format="email"),
    "full_name": string(),
    "active": boolean("False once the account has been closed."),
    "organisation": nullable(ref("Organisation")),
    "job_roles": array(ref("JobRoleHeld"), "Every job role, current and past, oldest first."),
}

PERSON = obj(PERSON_PROPERTIES)

ME = obj(
    {
        **PERSON_PROPERTIES,
        "roles": array(
            string(enum=["practitioner", "setting-lead", "trainer", "admin"]),
            "What the caller may do. Everyone is a practitioner.",
        ),
        "led_organisations": array(ref("OrganisationSummary"), "Organisations the caller leads as a setting lead."),
    },
    description="The person the token belongs to.",
)

REFERENCE_ITEM = obj({"code": string("Stable code; never changes."), "name": string("May be edited by admins.")})

ORGANISATION_TYPE = obj(
    {"code": string("Stable code; never changes."), "name": string(), "sector": string("Default sector code.")}
)

JOB_ROLE = obj(
    {"code": string("Stable code; never changes."), "name": string(), "active": boolean("False if no longer offered.")}
)

COURSE_PROPERTIES = {
    "code": string("The course's stable code, e.g. SGE."),
    "title": string(),
    "summary": string(),
    "delivery_mode": string("Delivery mode code.", enum=list(DELIVERY_MODES)),
    "cpd_hours": {"type": "number", "minimum": 0, "description": "CPD hours a completion gives."},
    "level": integer("1 awareness, 2 practitioner, 3 specialist and DSL.", enum=list(LEVELS)),
    "estimated_minutes": nullable(integer("How long it usually takes, in minutes.", minimum=0)),
    "audience": ref("CourseAudience"),
    "requirements": array(string(), "Codes of the training requirements the course counts towards."),
    "url": string("The course's page in the catalogue.", format="uri"),
}

COURSE_AUDIENCE = obj(
    {
        "sectors": array(string(), "Sector codes; empty means every sector."),
        "job_roles": array(string(), "Job role codes; empty means every role."),
    },
    description="Who the course is for. A course with no sectors (or no roles) is for everyone.",
)

COURSE = obj(COURSE_PROPERTIES, description="A course in the catalogue.")

LESSON_OUTLINE = obj(
    {
        "position": integer("1 for the first lesson.", minimum=1),
        "title": string(),
        "minutes": integer(minimum=0),
    },
    description="A lesson's place, title and length; the lesson itself is read in the service.",
)

QUIZ_OUTLINE = obj(
    {
        "questions": integer("How many questions the quiz has.", minimum=0),
        "pass_mark": integer("The score needed to pass, in percent.", minimum=0, maximum=100),
    },
    description="The size of the quiz. Questions and answers are never given out by the API.",
)

COURSE_DETAIL = obj(
    {
        **COURSE_PROPERTIES,
        "learning_outcomes": array(string(), "What people will be able to do afterwards."),
        "version": nullable(integer("The e-learning content's current version; null for other modes.", minimum=1)),
        "lessons": nullable(array(ref("LessonOutline"), "E-learning lessons in order; null for other modes.")),
        "quiz": nullable(ref("QuizOutline")),
    },
    description="A course with its learning outcomes and, for e-learning, an outline of its content.",
)

ENROLMENT = obj(
    {
        "id": integer(),
        "course": string("The course's code."),
        "course_title": string(),
        "version": integer("The version of the content the person is taking (kept from when they started).", minimum=1),
        "status": string(enum=["in-progress", "completed"]),
        "enrolled_at": string(format="date-time"),
        "lessons_read": integer(minimum=0),
        "lessons_total": integer(minimum=0),
        "completed_at": nullable(string("Null until the quiz is passed.", format="date-time")),
    },
    description="A person taking an e-learning course.",
)

COMPLETION = obj(
    {
        "id": integer(),
        "title": string("The training's title when it was completed."),
        "course": nullable(string("The course's code; null for training outside the catalogue.")),
        "delivery_mode": string(enum=list(DELIVERY_MODES)),
        "completed_on": string(format="date"),
        "cpd_hours": {"type": "number", "minimum": 0},
        "score": nullable(integer("Quiz score in percent, for e-learning.", minimum=0, maximum=100)),
        "source": string(
            "elearning, attendance (a session's register), external (CPD the person logged) or imported "
            "(history from a previous system).",
            enum=list(SOURCES),
        ),
        "self_reported": boolean("True for external CPD the person logged themselves."),
        "external": nullable(ref("ExternalActivity")),
    },
    description="One completed piece of training in a person's record.",
)

EXTERNAL_ACTIVITY = obj(
    {
        "provider": string("Who provided the training."),
        "requirement_codes": array(string(), "Requirements the person says it counts towards."),
        "note": nullable(string()),
        "has_evidence": boolean("Whether an evidence file was uploaded (on the website)."),
        "verified": boolean("Whether a setting lead of the person's organisation, or an admin, verified it."),
        "verified_at": nullable(string(format="date-time")),
    },
    description="External CPD: what the person said about training done elsewhere. Null for other completions.",
)

LOG_EXTERNAL_CPD = obj(
    {
        "title": string("The training's title.", minLength=1, maxLength=200),
        "provider": string("Who provided it.", minLength=1, maxLength=200),
        "completed_on": string("The day it was completed: not in the future, not before 2000.", format="date"),
        "cpd_hours": {"type": ["number", "string"], "description": "CPD hours in quarter hours, 0.25 to 100."},
        "requirement_codes": array(string(), "Codes of active requirements it counts towards (optional)."),
        "note": nullable(string("Anything the person's lead should know (optional).", maxLength=2000)),
    },
    optional=("requirement_codes", "note"),
    description="External CPD to add to the caller's record.",
)

CERTIFICATE_FIELDS = {
    "code": string("The verification code as printed, in groups of four.", example="7KQ2-M9XD-4TWB-H3RA"),
    "status": string(
        "valid; expired (its refresh date has passed); revoked (withdrawn, or replaced by a reissued one).",
        enum=["valid", "expired", "revoked"],
    ),
    "holder_name": string("The holder's name as issued; a later change of name does not alter it."),
    "course_title": string("The training's title as issued."),
    "completed_on": string(format="date"),
    "cpd_hours": {"type": "number", "minimum": 0},
    "issued_on": string(format="date"),
    "refresh_due_on": nullable(string("The date to take the training again by; null: no refresh date.", format="date")),
    "revoked_on": nullable(string(format="date")),
    "provider": string("Who provided the training."),
    "verify_url": string("The public page that shows the same answer.", format="uri"),
}

CERTIFICATE_STATUS = obj(CERTIFICATE_FIELDS, description="A certificate as anyone checking its code sees it (the same as /verify).")

MY_CERTIFICATE = obj(
    {
        **CERTIFICATE_FIELDS,
        "course": nullable(string("The course's code.")),
        "delivery_mode": string(enum=list(DELIVERY_MODES)),
        "pdf_url": string("The PDF, for the signed-in holder.", format="uri"),
    },
    description="One of the caller's certificates.",
)

UPTAKE_FIGURES = {
    "type": "object",
    "description": "One number per period key, and `total` for the whole period.",
    "additionalProperties": integer(minimum=0),
}
UPTAKE_ROW_FIGURES = {
    "unique_learners": UPTAKE_FIGURES,
    "completions": UPTAKE_FIGURES,
    "registrations": nullable({**UPTAKE_FIGURES, "description": "Null when the grouping is by course or delivery mode."}),
}
UPTAKE = obj(
    {
        "from": string(format="date"),
        "to": string(format="date"),
        "by": string(enum=["sector", "organisation-type", "area", "course", "delivery-mode"]),
        "period": string(enum=["quarter", "year"]),
        "periods": array(obj({
            "key": string("e.g. 2026-27 Q1 or 2026-27."),
            "label": string("e.g. Apr to Jun 2026."),
            "from": string(format="date"),
            "to": string(format="date", description="Cut to the report's period at either end."),
        })),
        "rows": array(obj({
            "key": string("The group's stable code (sector, organisation type, area, course or delivery mode), or none."),
            "name": string(),
            **UPTAKE_ROW_FIGURES,
        })),
        "total": obj(UPTAKE_ROW_FIGURES, description="Everyone: unique learners are counted once, not added up."),
    },
    description="Uptake figures by group and period (DESIGN.md section 8).",
)

ENROL_ME = obj({"course": string("The code of an e-learning course.", maxLength=30)}, description="Start a course.")

ENROL_PERSON = obj({"person_id": integer("The person to enrol.", minimum=1)}, description="Enrol someone.")

STATUS_VALUES = ["current", "due-soon", "overdue", "not-yet-due"]

REQUIREMENT_STATUS = obj(
    {
        "requirement": string("The requirement's stable code, e.g. dsl-role-training."),
        "name": string(),
        "status": string(enum=STATUS_VALUES),
        "due_on": nullable(string(
            "Valid until / due by this date; null means no expiry (no national period and none set locally).",
            format="date",
        )),
        "overdue_since": nullable(string("Set when overdue.", format="date")),
        "last_completed_on": nullable(string(format="date")),
        "hours": nullable(obj(
            {"counted": {"type": "number"}, "required": {"type": "number"}, "needed": {"type": "number"}},
            description="For rolling-hours requirements: CPD hours inside the window, required, still needed.",
        )),
    },
    description="Where a person stands on one requirement that applies to their roles.",
)

PERSON_COMPLIANCE = obj(
    {
        "person_id": integer(),
        "as_of": string(format="date"),
        "requirements": array(ref("RequirementStatus")),
    },
    description="A person's status on every requirement that applies to them, as of a date.",
)

ORGANISATION_COMPLIANCE_ROW = obj(
    {
        "person_id": integer(),
        "full_name": string(),
        "email": string(format="email"),
        "requirements": array(ref("RequirementStatus")),
    },
)

ORGANISATION_COMPLIANCE = obj(
    {
        **page_of("OrganisationComplianceRow")["properties"],
        "organisation_id": integer(),
        "as_of": string(format="date"),
    },
    description="One page of an organisation's people with their status on each requirement.",
)

# --- sessions and bookings ------------------------------------------------------------

SIGNUP_STATES = ["open", "not-open", "closed", "finished", "cancelled"]

VENUE = obj(
    {
        "name": string(),
        "address": string(),
        "postcode": nullable(string()),
        "access_notes": nullable(string("Parking, entrances, step-free access.")),
    },
    description="Where an in-person session is held.",
)

SESSION_PROPERTIES = {
    "id": integer(),
    "course": string("The course's code."),
    "course_title": string(),
    "delivery_mode": string("The course's delivery mode code.", enum=list(DELIVERY_MODES)),
    "starts_at": string("In UTC; show it in Europe/London.", format="date-time"),
    "ends_at": string(format="date-time"),
    "location_kind": string("in-person (a venue) or online (a joining link for people with a place).",
                            enum=["in-person", "online"]),
    "venue": nullable(ref("Venue")),
    "area": nullable(string("Area code.")),
    "organisation": nullable(ref("OrganisationSummary")),
    "audience": ref("CourseAudience"),
    "trainers": array(string(), "The trainers' names."),
    "capacity": integer("Places in all.", minimum=1),
    "places_left": integer(minimum=0),
    "waiting_list": integer("People on the waiting list.", minimum=0),
    "requires_approval": boolean("True if people booking themselves need their setting lead's approval."),
    "status": string(enum=["scheduled", "cancelled"]),
    "signup_state": string(
        "open; not-open (booking opens later); closed; finished (the session has started); cancelled.",
        enum=SIGNUP_STATES,
    ),
    "signup_opens_at": nullable(string("Null: open as soon as the session is published.", format="date-time")),
    "signup_closes_at": string(format="date-time"),
    "cancellation_deadline": string(
        "Cancelling a place after this is a late cancellation (which may be charged).", format="date-time"
    ),
    "url": string("The session's page in the service.", format="uri"),
}

SESSION = obj(
    SESSION_PROPERTIES,
    description=(
        "A dated run of a course. `organisation` is set for outreach sessions, which are for that "
        "organisation's staff only."
    ),
)

JOINING = obj(
    {"url": string(format="uri"), "notes": nullable(string())},
    description="How to join an online session: only for people with a place and the session's trainers.",
)

SESSION_DETAIL = obj(
    {
        **SESSION_PROPERTIES,
        "cancelled_reason": nullable(string("Why the session was cancelled.")),
        "joining": nullable(ref("JoiningDetails")),
        "my_booking": nullable(ref("Booking")),
    },
    description="A session with the caller's own booking on it (null if none) and, for people with a place, "
                "the joining details.",
)

BOOKING_SESSION = obj(
    {
        "id": integer(),
        "course": string("The course's code."),
        "course_title": string(),
        "starts_at": string(format="date-time"),
        "ends_at": string(format="date-time"),
        "location_kind": string(enum=["in-person", "online"]),
        "status": string(enum=["scheduled", "cancelled"]),
    },
    description="The session a booking is on, in brief.",
)

BOOKING = obj(
    {
        "id": integer(),
        "status": string(
            "requested (awaiting the setting lead's approval), booked, waitlisted, offered (a freed place, "
            "until offer_expires_at), cancelled, attended, partly-attended or no-show.",
            enum=list(BOOKING_STATUSES),
        ),
        "session_id": integer(),
        "person_id": integer(),
        "waiting_position": nullable(integer("Place on the waiting list, 1 being next; null unless waitlisted.",
                                             minimum=1)),
        "offer_expires_at": nullable(string("Accept the offered place before this.", format="date-time")),
        "created_at": string(format="date-time"),
        "confirmed_at": nullable(string("When the place was confirmed.", format="date-time")),
        "cancelled_at": nullable(string(format="date-time")),
        "ended_reason": nullable(string("Why a cancelled booking ended; null unless cancelled.",
                                        enum=[*ENDED_REASONS, None])),
        "late_cancellation": boolean("True if the place was given up after the cancellation deadline."),
        "session": ref("BookingSession"),
    },
    description="A person's booking on a session.",
)

BOOK_SESSION = obj(
    {"person_id": integer("Who to book; the caller if left out.", minimum=1)},
    optional=("person_id",),
    description="Whom to book. Send no body (or {}) to book yourself.",
)

ALREADY_BOOKED = obj(
    {
        "error": string(enum=["conflict"]),
        "message": string("A sentence for people, e.g. \"You are already booked on this session\"."),
        "errors": array(ref("FieldError")),
        "booking": ref("Booking"),
    },
    description="The person already has a booking on the session: the error, with that booking.",
)

SCHEMAS = {
    "RequirementStatus": REQUIREMENT_STATUS,
    "PersonCompliance": PERSON_COMPLIANCE,
    "OrganisationComplianceRow": ORGANISATION_COMPLIANCE_ROW,
    "OrganisationCompliance": ORGANISATION_COMPLIANCE,
    "Error": ERROR,
    "FieldError": FIELD_ERROR,
    "Organisation": ORGANISATION,
    "OrganisationSummary": ORGANISATION_SUMMARY,
    "JobRoleHeld": JOB_ROLE_HELD,
    "Person": PERSON,
    "Me": ME,
    "ReferenceItem": REFERENCE_ITEM,
    "OrganisationType": ORGANISATION_TYPE,
    "JobRole": JOB_ROLE,
    "OrganisationPage": page_of("Organisation"),
    "PersonPage": page_of("Person"),
    "ReferenceList": list_of("ReferenceItem"),
    "OrganisationTypeList": list_of("OrganisationType"),
    "JobRoleList": list_of("JobRole"),
    "CourseAudience": COURSE_AUDIENCE,
    "Course": COURSE,
    "CourseDetail": COURSE_DETAIL,
    "LessonOutline": LESSON_OUTLINE,
    "QuizOutline": QUIZ_OUTLINE,
    "Enrolment": ENROLMENT,
    "Completion": COMPLETION,
    "CoursePage": page_of("Course"),
    "EnrolmentPage": page_of("Enrolment"),
    "CompletionPage": page_of("Completion"),
    "ExternalActivity": EXTERNAL_ACTIVITY,
    "LogExternalCpd": LOG_EXTERNAL_CPD,
    "CertificateStatus": CERTIFICATE_STATUS,
    "Uptake": UPTAKE,
    "MyCertificate": MY_CERTIFICATE,
    "MyCertificatePage": page_of("MyCertificate"),
    "EnrolMe": ENROL_ME,
    "EnrolPerson": ENROL_PERSON,
    "Venue": VENUE,
    "Session": SESSION,
    "SessionDetail": SESSION_DETAIL,
    "JoiningDetails": JOINING,
    "BookingSession": BOOKING_SESSION,
    "Booking": BOOKING,
    "BookSession": BOOK_SESSION,
    "AlreadyBooked": ALREADY_BOOKED,
    "SessionPage": page_of("Session"),
    "BookingPage": page_of("Booking"),
}

ERROR_RESPONSES = {
    400: ("BadRequest", "A parameter is missing or malformed; `errors` names it."),
    401: ("Unauthorized", "No token, or a token that is unknown, revoked or of a closed account."),
    403: ("Forbidden", "The token's owner may not do this."),
    404: ("NotFound", "No such thing, or the caller may not see it."),
    405: ("MethodNotAllowed", "The path exists but not with this method."),
    409: ("Conflict", "The request conflicts with the current state."),
    422: ("UnprocessableEntity", "The request body broke a rule; `errors` names the fields."),
    500: ("ServerError", "Something went wrong on the server. No details are given."),
}


def _responses() -> dict:
    responses = {}
    for code, (name, description) in ERROR_RESPONSES.items():
        response = {"description": description, "content": json_content(ref("Error"))}
        if code == 401:
            response["headers"] = {
                "WWW-Authenticate": {
                    "description": 'Bearer realm="api" (with error="invalid_token" for a bad token).',
                    "schema": string(),
                }
            }
        responses[name] = response
    return responses


def _parameters() -> dict:
    config = current_app.config
    return {
        "page": query_param("page", integer(minimum=1, maximum=MAX_PAGE, default=1), "Page number, from 1."),
        "per_page": query_param(
            "per_page",
            integer(minimum=1, maximum=config["API_MAX_PAGE_SIZE"], default=config["API_PAGE_SIZE"]),
            f"Items per page, at most {config['API_MAX_PAGE_SIZE']}.",
        ),
    }


# --- paths: one entry per route -------------------------------------------------------

def _paths() -> dict:
    paths: dict = {}
    _route(paths, "/openapi.json", "get", operation(
        "getOpenApi", "This document", tag="meta", public=True,
        response={"type": "object", "description": "An OpenAPI 3.1 document."},
    ))
    _route(paths, "/me", "get", operation(
        "getMe", "The person the token belongs to", tag="people", response=ref("Me"),
    ))
    _route(paths, "/organisations", "get", operation(
        "listOrganisations", "Organisations, by name", tag="organisations",
        response=ref("OrganisationPage"), errors=(400,),
        description="Any caller may list organisations. Unknown codes are a 400 naming the parameter.",
        parameters=[
            query_param("q", string(maxLength=200), "Part of the name (any case)."),
            query_param("type", string(), "Organisation type code, e.g. primary-school."),
            query_param("sector", string(), "Sector code, e.g. early-years."),
            query_param("area", string(), "Area code."),
            query_param("active", boolean(), "true for open organisations only, false for closed ones."),
            *page_params(),
        ],
    ))
    _route(paths, "/organisations/{organisation_id}", "get", operation(
        "getOrganisation", "One organisation", tag="organisations", response=ref("Organisation"),
        errors=(404,), parameters=[path_param("organisation_id", "The organisation's id.")],
    ))
    _route(paths, "/people", "get", operation(
        "listPeople", "People the caller may see, by name", tag="people",
        response=ref("PersonPage"), errors=(400,),
        description=(
            "Admins see everyone; setting leads see the people of the organisations they lead, "
            "and themselves; everyone else sees only themselves."
        ),
        parameters=[
            query_param("email", string(maxLength=254), "Exact email address (any case)."),
            query_param("organisation_id", integer(minimum=1), "Only people of this organisation."),
            *page_params(),
        ],
    ))
    _route(paths, "/people/{person_id}", "get", operation(
        "getPerson", "One person the caller may see", tag="people", response=ref("Person"),
        errors=(404,), parameters=[path_param("person_id", "The person's id.")],
        description="404 both when no such person exists and when the caller may not see them.",
    ))
    for kind, schema, summary in (
        ("sectors", "ReferenceList", "Sectors"),
        ("organisation-types", "OrganisationTypeList", "Organisation types, with their default sector"),
        ("job-roles", "JobRoleList", "Job roles"),
        ("areas", "ReferenceList", "The partnership's areas (localities)"),
    ):
        operation_id = "list" + "".join(part.title() for part in kind.split("-"))
        _route(paths, f"/reference/{kind}", "get", operation(
            operation_id, summary, tag="reference", response=ref(schema),
        ))
    _course_paths(paths)
    _learning_paths(paths)
    _compliance_paths(paths)
    _booking_paths(paths)
    _certificate_paths(paths)
    _route(paths, "/reports/uptake", "get", operation(
        "getUptake", "Uptake: unique learners, completions and registrations by group and period", tag="reports",
        response=ref("Uptake"), errors=(400, 403),
        parameters=[
            query_param("from", string(format="date"), "First day, YYYY-MM-DD; the start of this financial year if not given."),
            query_param("to", string(format="date"), "Last day, YYYY-MM-DD; today (London) if not given. At most 10 years."),
            query_param("by", string(enum=["sector", "organisation-type", "area", "course", "delivery-mode"], default="sector"),
                        "What to group by."),
            query_param("period", string(enum=["quarter", "year"], default="quarter"),
                        "Financial quarters (April to June...) or financial years (April to March)."),
        ],
        description=(
            "For trainers and admins. Unique learners are distinct people with at least one completion in the period "
            "(once per group and period); completions count every completed activity; registrations count accounts "
            "created. A completion counts in the sector of the person's organisation at the time."
        ),
    ))
    return paths


def _compliance_paths(paths: dict) -> None:
    as_of = query_param(
        "as_of", string(format="date"), "The date to answer for, YYYY-MM-DD; today (London) if not given."
    )
    _route(paths, "/people/{person_id}/compliance", "get", operation(
        "getPersonCompliance", "A person's compliance with the requirements of their roles", tag="compliance",
        response=ref("PersonCompliance"), errors=(400, 404),
        parameters=[path_param("person_id", "The person's id."), as_of],
        description=(
            "For the person themselves, their organisation's setting leads and admins; 404 for anyone else. "
            "Only requirements that apply to the person's roles on that date are listed."
        ),
    ))
    _route(paths, "/organisations/{organisation_id}/compliance", "get", operation(
        "getOrganisationCompliance", "An organisation's people and their compliance", tag="compliance",
        response=ref("OrganisationCompliance"), errors=(400, 403, 404),
        parameters=[path_param("organisation_id", "The organisation's id."), as_of, *page_params()],
        description="For the organisation's setting leads and admins. People are ordered by name.",
    ))


COURSE_CODE = path_param("code", "The course's code, e.g. SGE.", string(maxLength=30))
BODY_ERRORS = (
    "A body that is not a JSON object is a 400; a missing or malformed field is a 422 naming it."
)


def _course_paths(paths: dict) -> None:
    _route(paths, "/courses", "get", operation(
        "listCourses", "Courses in the catalogue, by title", tag="courses",
        response=ref("CoursePage"), errors=(400,),
        description=(
            "Any caller may list the catalogue. Retired courses are not listed. Filters combine with "
            "\"and\"; values of one repeated filter with \"or\". A course with no audience is for everyone, "
            "so it matches every sector and job role. Unknown codes are a 400 naming the parameter."
        ),
        parameters=[
            query_param("q", string(maxLength=200), "A word or phrase in the title, summary or code (any case)."),
            list_query_param(
                "mode", string(enum=list(DELIVERY_MODES)),
                "Delivery mode code; repeat it (mode=elearning&mode=virtual) or give a comma list.",
            ),
            list_query_param("level", integer(enum=list(LEVELS)), "Level 1, 2 or 3; repeat it or give a comma list."),
            query_param("sector", string(), "Sector code: courses for that sector (or for everyone)."),
            query_param("job_role", string(), "Job role code: courses for that role (or for everyone)."),
            *page_params(),
        ],
    ))
    _route(paths, "/courses/{code}", "get", operation(
        "getCourse", "One course, with an outline of its e-learning content", tag="courses",
        response=ref("CourseDetail"), errors=(404,), parameters=[COURSE_CODE],
        description=(
            "Lessons are given by title and length only, and the quiz by its size and pass mark: never "
            "the lessons' text or the quiz's questions and answers. 404 for an unknown or retired course."
        ),
    ))
    _route(paths, "/courses/{code}/enrolments", "post", operation(
        "enrolPerson", "Enrol someone on an e-learning course", tag="learning",
        response=ref("Enrolment"), errors=(400, 403, 404, 422), parameters=[COURSE_CODE],
        request_body=json_request(ref("EnrolPerson"), 'The person to enrol, e.g. {"person_id": 42}.'),
        created="Enrolled now.",
        ok="Already enrolled and part-way through: the existing enrolment (no second one is made).",
        description=(
            "A setting lead may enrol the staff of the organisations they lead, an admin anyone, "
            "anyone themselves. Other callers get a 403; a person the caller may not see is a 404, "
            "as is an unknown or retired course. A course that is not e-learning, or a closed "
            "account, is a 422. " + BODY_ERRORS
        ),
    ))


def _learning_paths(paths: dict) -> None:
    _route(paths, "/me/enrolments", "get", operation(
        "listMyEnrolments", "The caller's e-learning enrolments, newest first", tag="learning",
        response=ref("EnrolmentPage"), errors=(400,),
        parameters=[
            query_param("status", string(enum=["in-progress", "completed"]), "Only enrolments with this status."),
            *page_params(),
        ],
    ))
    _route(paths, "/me/enrolments", "post", operation(
        "enrolMe", "Start an e-learning course", tag="learning",
        response=ref("Enrolment"), errors=(400, 404, 422),
        request_body=json_request(ref("EnrolMe"), 'The course to start, e.g. {"course": "SGE"}.'),
        created="Enrolled now.",
        ok="Already part-way through the course: the existing enrolment (no second one is made).",
        description=(
            "An unknown or retired course is a 404 naming the `course` field; a course that is not "
            "e-learning is a 422. " + BODY_ERRORS
        ),
    ))
    _route(paths, "/me/completions", "get", operation(
        "listMyCompletions", "The caller's training record, newest first", tag="learning",
        response=ref("CompletionPage"), errors=(400,), parameters=page_params(),
        description=(
            "Every completion: e-learning, session attendance, external CPD the caller logged "
            "(self_reported) and history imported from a previous system."
        ),
    ))
    _route(paths, "/me/external-cpd", "post", operation(
        "logMyExternalCpd", "Add external CPD to the caller's training record", tag="learning",
        response=ref("Completion"), errors=(400, 422),
        request_body=json_request(ref("LogExternalCpd"), "The training done elsewhere."),
        ok="Not used: a new entry is always a 201.", created="Added to the record, self-reported.",
        description=(
            "Training done elsewhere (a local authority course, a conference, another provider's online "
            "course), recorded as self-reported with source and delivery_mode external. It counts towards "
            "the requirements named at once; a setting lead of the caller's organisation may verify it on "
            "the website, where an evidence file can also be added. " + BODY_ERRORS
        ),
    ))


SESSION_ID = path_param("session_id", "The session's id.")
BOOKING_ID = path_param("booking_id", "The booking's id.")


def _booking_paths(paths: dict) -> None:
    _route(paths, "/sessions", "get", operation(
        "listSessions", "Sessions, soonest first", tag="bookings",
        response=ref("SessionPage"), errors=(400,),
        description=(
            "Scheduled sessions the caller may see (outreach sessions only for their organisation's "
            "staff and leads, trainers and admins). Without `from`, only sessions that have not started. "
            "Cancelled sessions are not listed. Unknown codes are a 400 naming the parameter."
        ),
        parameters=[
            query_param("course", string(maxLength=40), "Course code."),
            query_param("from", string(format="date"), "Sessions starting on or after this day (Europe/London)."),
            query_param("to", string(format="date"), "Sessions starting on or before this day (Europe/London)."),
            query_param("area", string(maxLength=40), "Area code."),
            query_param("has_places", boolean(), "true: places left; false: full."),
            *page_params(),
        ],
    ))
    _route(paths, "/sessions/{session_id}", "get", operation(
        "getSession", "One session, with places left and the caller's booking", tag="bookings",
        response=ref("SessionDetail"), errors=(404,), parameters=[SESSION_ID],
        description=(
            "Cancelled and past sessions can still be read. The joining link of an online session is "
            "given only to people with a place and to the session's trainers and admins. 404 for an "
            "outreach session of another organisation."
        ),
    ))
    book = operation(
        "bookSession", "Book a place on a session", tag="bookings",
        response=ref("Booking"), errors=(400, 403, 404, 422), parameters=[SESSION_ID],
        request_body={**json_request(ref("BookSession"), 'Whom to book, e.g. {"person_id": 42}; no body books '
                                                         "the caller."), "required": False},
        description=(
            "Books the caller, or with `person_id` one of the staff of an organisation the caller leads "
            "(anyone, for an admin). The answer is 201 with the booking: `booked` while places remain, "
            "otherwise `waitlisted`; `requested` when the session asks for the setting lead's approval "
            "and the caller booked themselves. A person who already has a booking on the session is a 409 "
            "carrying that booking, so repeating a request never makes a second booking. Closed sign-up, "
            "a session outside the person's audience, or a closed account is a 422; booking someone who is "
            "not your staff is a 403; a person unknown to an admin is a 404. " + BODY_ERRORS
        ),
    )
    # Only ever 201 (a new booking) or an error: a second booking is the 409 below.
    responses = book["responses"]
    responses["201"] = responses.pop("200") | {"description": "Booked, waitlisted or requested."}
    responses["409"] = {
        "description": "The person already has a booking on this session; `booking` is it.",
        "content": json_content(ref("AlreadyBooked")),
    }
    book["responses"] = dict(sorted(responses.items()))
    _route(paths, "/sessions/{session_id}/bookings", "post", book)
    _route(paths, "/bookings/{booking_id}", "get", operation(
        "getBooking", "One booking", tag="bookings", response=ref("Booking"), errors=(404,),
        parameters=[BOOKING_ID],
        description=(
            "For the person booked, the setting leads of the organisation they booked from, the "
            "session's trainers and admins; 404 for anyone else."
        ),
    ))
    _route(paths, "/bookings/{booking_id}", "delete", operation(
        "cancelBooking", "Cancel a booking", tag="bookings", response=ref("Booking"), errors=(404, 409),
        parameters=[BOOKING_ID], ok="Cancelled: the booking as it now is.",
        description=(
            "The person, their setting lead, the session's trainers or an admin may cancel. Giving up a "
            "place after the session's cancellation deadline is recorded as a late cancellation "
            "(`late_cancellation` true). A freed place is offered to the waiting list. A booking that "
            "has already ended, or a session that has started, is a 409. 404 for anyone who may not see "
            "the booking."
        ),
    ))
    _route(paths, "/bookings/{booking_id}/accept", "post", operation(
        "acceptOffer", "Accept an offered place", tag="bookings", response=ref("Booking"),
        errors=(403, 404, 409), parameters=[BOOKING_ID], ok="Booked: the booking as it now is.",
        description=(
            "For a booking whose status is `offered`, before `offer_expires_at`: the person or their "
            "setting lead (or an admin) takes the place. No offer, or an offer that has ended, is a 409."
        ),
    ))
    _route(paths, "/me/bookings", "get", operation(
        "listMyBookings", "The caller's bookings, latest session first", tag="bookings",
        response=ref("BookingPage"), errors=(400,),
        parameters=[
            list_query_param("status", string(enum=list(BOOKING_STATUSES)),
                             "Only bookings with this status; repeat it or give a comma list."),
            query_param("upcoming", boolean(), "true: sessions not yet finished; false: finished ones."),
            *page_params(),
        ],
    ))


def _certificate_paths(paths: dict) -> None:
    _route(paths, "/certificates/{code}", "get", operation(
        "getCertificate", "Whether a certificate is genuine and valid, by its code", tag="certificates",
        response=ref("CertificateStatus"), errors=(404,),
        parameters=[path_param("code", "The code as printed (any case; hyphens and spaces are ignored).",
                               string(maxLength=40))],
        description=(
            "Any caller may check any code, as anyone may at /verify. A revoked certificate still answers, "
            "with status `revoked`. A code that matches no certificate is a 404."
        ),
    ))
    _route(paths, "/me/certificates", "get", operation(
        "listMyCertificates", "The caller's certificates, newest first", tag="certificates",
        response=ref("MyCertificatePage"), errors=(400,), parameters=page_params(),
    ))


def build_spec() -> dict:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{current_app.config['SERVICE_NAME']} API",
            "version": API_VERSION,
            "description": (
                "Read and act on the partnership's training data with a personal API token. "
                "Create one at /account/api-tokens and send it as `Authorization: Bearer <token>`. "
                "Each token has its owner's rights. Reference data is named by stable codes. "
                "Errors are JSON: {\"error\", \"message\", \"errors\"}."
            ),
        },
        "servers": [{"url": SERVER_PATH}],
        "security": [{"bearerAuth": []}],
        "tags": [
            {"name": "people", "description": "The caller and the people they may see."},
            {"name": "organisations", "description": "Schools, settings, teams and agencies."},
            {"name": "courses", "description": "The course catalogue."},
            {"name": "learning", "description": "E-learning enrolments and the training record."},
            {"name": "compliance", "description": "Refresh deadlines: who is current, due soon or overdue."},
            {"name": "bookings", "description": "Sessions of courses, and booking places on them."},
            {"name": "certificates", "description": "Certificates of completed training, checked by code."},
            {"name": "reports", "description": "Uptake figures for partnership reports."},
            {"name": "reference", "description": "Codes used across the API."},
            {"name": "meta", "description": "About the API itself."},
        ],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": (
                        "A personal API token, made at /account/api-tokens "
                        "or with `flask lms token create EMAIL`."
                    ),
                }
            },
            "schemas": SCHEMAS,
            "parameters": _parameters(),
            "responses": _responses(),
        },
    }
