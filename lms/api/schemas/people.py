"""Organisations, people (and the caller, /me) and reference data."""
from __future__ import annotations

from marshmallow import fields
from marshmallow.validate import OneOf

from lms.api.fields import Args, Code, Shape, Text, UtcDateTime, WholeNumber, YesNo, described
from lms.api.schemas.common import day, list_of, page_of, text

ROLES = ["practitioner", "setting-lead", "trainer", "admin"]


class Organisation(Shape):
    id = fields.Integer()
    name = fields.String()
    type = Code(**described("Organisation type code, e.g. primary-school."))
    sector = Code(**described("Sector code, e.g. education."))
    area = Code(allow_none=True, **described("Area code."))
    urn = text("DfE URN or Ofsted number.", allow_none=True)
    active = fields.Boolean(**described("False once the organisation has closed or merged."))


class OrganisationSummary(Shape):
    id = fields.Integer()
    name = fields.String()


class JobRoleHeld(Shape):
    code = Code(attribute="job_role", **described("Job role code, e.g. school-dsl."))
    name = fields.String(attribute="job_role.name")
    started_on = day()
    ended_on = day("Null while the role is held.", allow_none=True)


class AskingToJoin(Shape):
    class Meta:
        description = (
            "An organisation the person has asked to join, which none of its setting leads (nor an admin) "
            "has yet confirmed or declined. Until then `organisation` is unchanged."
        )

    request_id = fields.Integer(attribute="id", **described("The join request's id (to confirm or decline it)."))
    organisation = fields.Nested(OrganisationSummary)
    since = UtcDateTime(attribute="requested_at", **described("When they asked, in UTC."))
    started_on = day("The day they say they started there.")


class Person(Shape):
    id = fields.Integer()
    email = fields.Email()
    full_name = fields.String()
    active = fields.Boolean(**described("False once the account has been closed."))
    organisation = fields.Nested(
        Organisation, allow_none=True,
        **described("The organisation a setting lead (or an admin) has confirmed they work at; null if none."),
    )
    asking_to_join = fields.Nested(AskingToJoin, allow_none=True,
                                   **described("Null unless they are waiting to be confirmed somewhere."))
    job_roles = fields.List(fields.Nested(JobRoleHeld), **described("Every job role, current and past, oldest first."))

    def job_roles_of(self, user):
        return user.roles

    def asking_to_join_of(self, user):
        return user.open_join_request


class PersonSummary(Shape):
    id = fields.Integer()
    email = fields.Email()
    full_name = fields.String()


class JoinRequest(Shape):
    class Meta:
        description = "A person asking to join an organisation, and what became of it."

    id = fields.Integer()
    person = fields.Nested(PersonSummary, attribute="user")
    organisation = fields.Nested(OrganisationSummary)
    job_roles = fields.List(fields.Nested(JobRoleHeld), **described("The person's current job roles."))
    started_on = day("The day they say they started there.")
    requested_at = UtcDateTime(**described("When they asked, in UTC."))
    outcome = fields.String(
        allow_none=True, validate=OneOf(["confirmed", "declined", "withdrawn"]),
        **described("Null while waiting; `declined` is \"does not work here\"; `withdrawn` by the person."),
    )
    decided_at = UtcDateTime(allow_none=True, **described("Null while waiting."))

    def job_roles_of(self, join_request):
        return join_request.user.current_roles


class Me(Person):
    class Meta:
        description = "The person the token belongs to."

    roles = fields.List(fields.String(validate=OneOf(ROLES)),
                        **described("What the caller may do. Everyone is a practitioner."))
    led_organisations = fields.List(fields.Nested(OrganisationSummary),
                                    **described("Organisations the caller leads as a setting lead."))

    def roles_of(self, user) -> list[str]:
        """Everyone is a practitioner; the flags and setting-lead links add the rest."""
        roles = ["practitioner"]
        if user.led_organisations:
            roles.append("setting-lead")
        if user.is_trainer:
            roles.append("trainer")
        if user.is_admin:
            roles.append("admin")
        return roles


class ReferenceItem(Shape):
    code = text("Stable code; never changes.")
    name = text("May be edited by admins.")


class OrganisationType(Shape):
    code = text("Stable code; never changes.")
    name = fields.String()
    sector = Code(**described("Default sector code."))


class JobRole(Shape):
    code = text("Stable code; never changes.")
    name = fields.String()
    active = fields.Boolean(**described("False if no longer offered."))


OrganisationPage = page_of(Organisation)
PersonPage = page_of(Person)
JoinRequestPage = page_of(JoinRequest)
ReferenceList = list_of(ReferenceItem, "ReferenceList")
OrganisationTypeList = list_of(OrganisationType, "OrganisationTypeList")
JobRoleList = list_of(JobRole, "JobRoleList")


class OrganisationArgs(Args):
    q = Text(description="Part of the name (any case).")
    type = Text(40, description="Organisation type code, e.g. primary-school.")
    sector = Text(40, description="Sector code, e.g. early-years.")
    area = Text(40, description="Area code.")
    active = YesNo("true for open organisations only, false for closed ones.")


class PeopleArgs(Args):
    email = Text(254, description="Exact email address (any case).")
    organisation_id = WholeNumber(minimum=1, description="Only people of this organisation.")
