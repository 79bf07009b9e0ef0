"""The admin pages for reference data: sectors, organisation types, areas and job roles
(/admin/reference). Thin views: form -> service -> commit -> flash -> redirect."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from lms.core.auth import actor, admin_required
from lms.core.errors import DomainError
from lms.core.forms import fail
from lms.core.time import utcnow
from lms.extensions import db
from lms.organisations.forms import ConfirmForm, choices, first_field
from lms.organisations.models import Area, JobRole, OrganisationType, Sector
from lms.organisations.reference import services
from lms.organisations.reference.forms import ReferenceForm

bp = Blueprint("reference", __name__, url_prefix="/admin/reference", template_folder="templates")

REFERENCE_KINDS = {
    "sectors": {"model": Sector, "title": "Sectors", "singular": "sector",
                "usage": "Organisations"},
    "organisation-types": {"model": OrganisationType, "title": "Organisation types", "singular": "organisation type",
                           "usage": "Organisations"},
    "areas": {"model": Area, "title": "Areas", "singular": "area", "usage": "Organisations"},
    "job-roles": {"model": JobRole, "title": "Job roles", "singular": "job role",
                  "usage": "People holding it"},
}


def _kind(kind: str) -> dict:
    if kind not in REFERENCE_KINDS:
        abort(404)
    return {"slug": kind, **REFERENCE_KINDS[kind]}


@bp.get("")
@admin_required
def index():
    return render_template("organisations/reference/index.html", kinds=REFERENCE_KINDS)


@bp.get("/<kind>")
@admin_required
def items(kind: str):
    kind = _kind(kind)
    return render_template(
        "organisations/reference/items.html",
        kind=kind,
        items=services.list_reference(kind["model"]),
        usage=services.reference_usage(kind["model"]),
    )


def _reference_form(kind: dict, *, editing: bool, data: dict | None = None) -> ReferenceForm:
    form = ReferenceForm(data=data)
    if editing:
        del form.code
    else:
        del form.position
    if kind["model"] is OrganisationType:
        form.sector.choices = choices(services.list_reference(Sector), blank="Select a sector")
    else:
        del form.sector
    return form


@bp.route("/<kind>/new", methods=["GET", "POST"])
@admin_required
def new(kind: str):
    kind = _kind(kind)
    form = _reference_form(kind, editing=False)
    if form.validate_on_submit():
        sector = form.sector.data if "sector" in form else None
        try:
            item = services.create_reference(
                actor(), kind["model"], code=form.code.data, name=form.name.data, sector_id=sector, now=utcnow()
            )
        except DomainError as error:
            fail(error, form, default_field=first_field(form))
        else:
            name = item.name
            db.session.commit()
            flash(f"{name} has been added", "success")
            return redirect(url_for(".items", kind=kind["slug"]))
    return render_template("organisations/reference/form.html", form=form, kind=kind, item=None)


@bp.route("/<kind>/<int:item_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(kind: str, item_id: int):
    kind = _kind(kind)
    item = services.get_reference(kind["model"], item_id)
    data = None
    if request.method == "GET":
        data = {"name": item.name, "position": str(services.reference_position(item))}
        if kind["model"] is OrganisationType:
            data["sector"] = str(item.sector_id)
    form = _reference_form(kind, editing=True, data=data)
    if form.validate_on_submit():
        sector = form.sector.data if "sector" in form else None
        try:
            changed = services.update_reference(
                actor(), item, name=form.name.data, position=int(form.position.data), sector_id=sector, now=utcnow()
            )
        except DomainError as error:
            fail(error, form, default_field=first_field(form))
            item = services.get_reference(kind["model"], item_id)
        else:
            name = item.name
            db.session.commit()
            flash(f"{name} has been updated" if changed else "Nothing was changed", "success" if changed else "info")
            return redirect(url_for(".items", kind=kind["slug"]))
    return render_template(
        "organisations/reference/form.html",
        form=form,
        kind=kind,
        item=item,
        usage=services.reference_usage(kind["model"]).get(item.id, 0),
        confirm_form=ConfirmForm(),
    )


def _set_job_role_active(item_id: int, active: bool):
    role = services.get_reference(JobRole, item_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_job_role_active(actor(), role, active, now=utcnow())
    except DomainError as error:
        fail(error)
        flash(error.message, "info")
    else:
        name = role.name
        db.session.commit()
        flash(f"{name} has been {'reactivated' if active else 'deactivated'}", "success")
    return redirect(url_for(".items", kind="job-roles"))


@bp.post("/job-roles/<int:item_id>/deactivate")
@admin_required
def deactivate_job_role(item_id: int):
    return _set_job_role_active(item_id, False)


@bp.post("/job-roles/<int:item_id>/reactivate")
@admin_required
def reactivate_job_role(item_id: int):
    return _set_job_role_active(item_id, True)
