"""A setting lead's e-learning pages: their staff's progress on e-learning courses, and
enrolling staff on a course (everyone, a few people, or one person from the table).

Thin views: form -> service -> commit -> flash -> redirect. A DomainError becomes an error
on the named form field so the GOV.UK error summary links to it; people and organisations
the lead may not touch are 403 and 404.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from lms.core.auth import actor, setting_lead_required
from lms.core.errors import DomainError, Forbidden, NotFound
from lms.core.forms import apply_domain_error, fail
from lms.core.time import utcnow
from lms.elearning.staff import services
from lms.elearning.staff.forms import (
    EVERYONE,
    ChooseOrganisationForm,
    EnrolStaffForm,
    ProgressFilterForm,
    RowButtonForm,
)
from lms.extensions import db

# Nested in the e-learning blueprint: endpoints elearning.staff.*.
bp = Blueprint("staff", __name__, template_folder="templates", url_prefix="/organisation/e-learning")

PER_PAGE = 25


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _organisation(endpoint: str):
    """(organisation, None) for the organisation in ?organisation= (or the only one the
    lead leads), or (None, a page asking which) when there is a choice to make."""
    lead = actor()
    requested = request.args.get("organisation")
    if requested not in (None, ""):
        organisation_id = _int_or_none(requested)
        if organisation_id is None:
            abort(404)
        return services.get_organisation_for(lead, organisation_id), None
    led = services.organisations_for(lead)
    if led is not None and len(led) == 1:
        return led[0], None
    if request.method != "GET":
        abort(404)
    options = [(org.id, org.name) for org in led] if led is not None else services.organisation_options()
    form = ChooseOrganisationForm(request.args)
    form.organisation.choices = [SelectChoice("", "Select an organisation")] + [
        SelectChoice(str(i), name) for i, name in options
    ]
    if requested == "":  # "Continue" with nothing chosen
        form.organisation.errors = ["Select an organisation"]
    page = render_template("elearning/staff/choose.html", form=form, endpoint=endpoint)
    return None, page


# --- progress -------------------------------------------------------------------------

@bp.get("")
@setting_lead_required
def progress():
    organisation, choice = _organisation("elearning.staff.progress")
    if organisation is None:
        return choice
    courses = services.elearning_courses(include_retired=True)
    by_id = {course.id: course for course in courses}
    filters = ProgressFilterForm(request.args)
    filters.course.choices = [SelectChoice("", "All courses")] + [
        SelectChoice(str(c.id), c.title if c.active else f"{c.title} (retired)") for c in courses
    ]
    filters.status.choices = [SelectChoice("", "Any status")] + [
        SelectChoice(key, label) for key, label in services.STATUSES.items()
    ]
    course = by_id.get(_int_or_none(filters.course.data))
    if course is None:
        filters.course.data = ""
    status = filters.status.data if filters.status.data in services.STATUSES else None
    if status is None:
        filters.status.data = ""
    page = services.progress_page(
        organisation,
        course_id=course.id if course else None,
        status=status,
        page=max(1, _int_or_none(request.args.get("page")) or 1),
        per_page=PER_PAGE,
    )
    counts = services.progress_counts(organisation, course_id=course.id if course else None)
    args = {"organisation": organisation.id}
    if course:
        args["course"] = course.id
    if status:
        args["status"] = status
    return render_template(
        "elearning/staff/progress.html",
        organisation=organisation,
        filters=filters,
        course=course,
        status=status,
        page=page,
        counts=counts,
        pagination_args=args,
        row_form=RowButtonForm(),
        can_enrol=any(c.active for c in courses),
    )


# --- enrolling ------------------------------------------------------------------------

@bp.route("/enrol", methods=["GET", "POST"])
@setting_lead_required
def enrol():
    organisation, choice = _organisation("elearning.staff.enrol")
    if organisation is None:
        return choice
    lead = actor()
    form = EnrolStaffForm()
    courses = services.elearning_courses()
    form.course.choices = [SelectChoice("", "Select a course")] + [SelectChoice(str(c.id), c.title) for c in courses]
    if request.method == "GET":
        # Arriving from a row of the progress table: that person (and course) ticked.
        form.course.data = request.args.get("course", "")
        form.people.data = request.args.getlist("person")
    if form.validate_on_submit():
        person_ids = form.person_ids()
        if person_ids is None:
            abort(403)
        course = people = None
        problems: list[DomainError] = []
        try:
            course = services.course_to_enrol_on(form.course_id())
        except DomainError as error:
            problems.append(error)
        try:
            people = services.staff_to_enrol(lead, organisation, person_ids, everyone=form.everyone())
        except (Forbidden, NotFound) as error:
            fail(error)
        except DomainError as error:
            problems.append(error)
        if not problems:
            try:
                result = services.enrol_staff(organisation, people, course, actor=lead, now=utcnow())
            except DomainError as error:
                fail(error)
                problems.append(error)
            else:
                message = services.enrolled_message(result, course)
                organisation_id, course_id = organisation.id, course.id
                db.session.commit()
                flash(message, "success" if result.enrolled else "info")
                return redirect(url_for("elearning.staff.progress", organisation=organisation_id, course=course_id))
        for error in problems:
            apply_domain_error(form, error, default_field="course")
    staff = services.list_staff(organisation)
    chosen = set(form.people.data or [])
    return render_template(
        "elearning/staff/enrol.html",
        form=form,
        organisation=organisation,
        staff=staff,
        chosen=chosen,
        everyone=EVERYONE,
        courses=courses,
    )
