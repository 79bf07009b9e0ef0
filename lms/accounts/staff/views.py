"""A setting lead's staff list and a person's page (/organisation/staff): the people
recorded as working at the organisations they lead. Admins see every organisation's."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from wtforms import SelectChoice

from lms.accounts.staff import services
from lms.accounts.staff.forms import StaffFilterForm
from lms.core.auth import actor, setting_lead_required
from lms.core.pagination import paginate
from lms.organisations.services import organisation_choices

bp = Blueprint("staff", __name__, url_prefix="/organisation/staff", template_folder="templates")

PER_PAGE = 25


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@bp.get("")
@setting_lead_required
def index():
    person = actor()
    if person.is_admin:
        organisations = organisation_choices(active_only=False)
    else:
        organisations = [(org.id, org.name) for org in person.led_organisations]
    names = dict(organisations)
    filters = StaffFilterForm(request.args)
    filters.organisation.choices = [SelectChoice("", "All organisations")] + [
        SelectChoice(str(i), n) for i, n in organisations
    ]
    selected = _int_or_none(filters.organisation.data)
    if filters.organisation.data and selected not in names:
        abort(404)
    page = paginate(
        services.staff_of(person, [selected] if selected else None, search=filters.q.data),
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
    )
    if selected:
        heading_org = names[selected]
    elif len(organisations) == 1:
        heading_org = organisations[0][1]
    else:
        heading_org = None
    return render_template(
        "accounts/staff/index.html",
        filters=filters,
        page=page,
        pagination_args={name: field.data for name, field in filters._fields.items() if field.data not in (None, "")},
        show_organisation_filter=len(organisations) > 1,
        show_organisation_column=len(organisations) > 1 and not selected,
        heading_org=heading_org,
    )


@bp.get("/<int:user_id>")
@setting_lead_required
def member(user_id: int):
    person = services.get_staff_member(actor(), user_id)  # NotFound: the 404 page
    return render_template("accounts/staff/member.html", person=person)
