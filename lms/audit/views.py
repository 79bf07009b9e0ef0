"""The audit log viewer and its CSV export (admins only)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, stream_with_context, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSelect, GovTextInput
from wtforms import HiddenField, SelectField, StringField, ValidationError

from lms.audit import services as audit
from lms.core.auth import actor, admin_required
from lms.core.forms import GovDateField
from lms.core.pagination import paginate
from lms.core.tables import attachment, csv_lines
from lms.core.time import london_today, utcnow
from lms.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit", template_folder="templates")

EVENTS_PER_PAGE = 50
FILTER_ARGS = ("action", "actor_email", "target_type", "target_id", "date_from", "date_to")


@bp.app_template_filter("audit_key")
def audit_key(key):
    return audit.readable_key(key)


@bp.app_template_filter("audit_value")
def audit_value(value):
    return audit.readable_value(value)


# Where the thing an event is about can be seen, by target type. Linked by path so the
# log does not depend on the endpoint names of the features above it.
TARGET_PAGES = {
    "user": "/admin/people/{id}",
    "organisation": "/admin/organisations/{id}",
    "requirement": "/admin/requirements/id/{id}",
}


@bp.app_template_global("audit_target_path")
def audit_target_path(event) -> str | None:
    """The page of the thing an event is about, if it has one."""
    path = TARGET_PAGES.get(event.target_type or "")
    return path.format(id=event.target_id) if path and event.target_id else None


@bp.app_template_global("same_page_href")
def same_page_href():
    """A function giving the link to page `number` of the page being shown, keeping its
    query string as it is (the page number where it was, or last), for
    Page.govuk_pagination."""
    endpoint, args = request.endpoint, request.args.to_dict(flat=False)
    return lambda number: url_for(endpoint, **{**args, "page": number})


@bp.app_template_global("audit_change_rows")
def audit_change_rows(event):
    return audit.change_rows(event.before, event.after)


class AuditFilterForm(FlaskForm):
    """Sent with GET, so no CSRF token."""

    class Meta:
        csrf = False

    action = StringField(
        "Action",
        description="The start of an action, for example person. or person.admin",
        widget=GovTextInput(),
    )
    actor_email = StringField("Done by (email address)", description="All or part of it", widget=GovTextInput())
    target_type = SelectField("About", choices=[], widget=GovSelect(), validate_choice=False)
    target_id = HiddenField()
    date_from = GovDateField("From", description="For example, 1 4 2026", widget=GovDateInput())
    date_to = GovDateField("To", description="For example, 30 6 2026", widget=GovDateInput())

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The ‘To’ date must be the same as or after the ‘From’ date")


def _filter_form() -> tuple[AuditFilterForm, audit.AuditFilter, bool]:
    form = AuditFilterForm(formdata=request.args)
    form.target_type.choices = [("", "Anything")] + [(name, audit.readable_key(name)) for name in audit.target_types()]
    valid = form.validate() if any(request.args.get(name) for name in FILTER_ARGS) else True
    filters = audit.AuditFilter(
        action=form.action.data or "",
        actor_email=form.actor_email.data or "",
        target_type=form.target_type.data or "",
        target_id=(form.target_id.data or "").strip(),
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )
    return form, filters, valid


def _filter_args() -> dict:
    """The filters in the current URL, for links that keep them."""
    return {name: request.args.getlist(name) for name in FILTER_ARGS if any(request.args.getlist(name))}


@bp.get("/")
@admin_required
def index():
    form, filters, _ = _filter_form()
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    pager = paginate(audit.filtered_events(filters), page=page, per_page=EVENTS_PER_PAGE)
    return render_template(
        "audit/index.html",
        form=form,
        pager=pager,
        filtered=bool(_filter_args()),
        export_url=url_for("audit.export", **_filter_args()),
    )


@bp.get("/export.csv")
@admin_required
def export():
    _, filters, valid = _filter_form()
    if not valid:
        return redirect(url_for("audit.index", **_filter_args()))
    now = utcnow()
    rows = audit.count_events(filters)
    event = audit.record_export(filters, actor=actor(), rows=rows, now=now)
    db.session.flush()
    export_id = event.id
    db.session.commit()

    # csv_rows gives the header first, then rows already safe for spreadsheets.
    lines = csv_lines(None, audit.csv_rows(filters, before_id=export_id))
    filename = f"audit-log-{london_today(now).isoformat()}.csv"
    return attachment(stream_with_context(lines), "csv", filename)
