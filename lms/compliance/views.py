"""Compliance pages: what training I need (everyone), a setting lead's staff matrix with
its CSV and XLSX exports and a page per person, and the admin overview.

The practitioner and per-person pages show the pure calculation; the matrix and the
overview read the maintained status table. Every page takes ?as_of=YYYY-MM-DD (or the
GOV.UK date input) to show statuses on another day; a date that is not real is shown as
an error on the field, and the page falls back to today.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload
from wtforms import SelectChoice

from lms.accounts.models import SettingLead, User
from lms.accounts.services import led_organisation_ids
from lms.audit import services as audit
from lms.compliance import downloads as export_downloads
from lms.compliance import engine, exports, queries
from lms.compliance import matrix as matrix_queries
from lms.compliance import overview as overview_queries
from lms.compliance.forms import AsOfForm, ChooseOrganisationForm, MatrixFilterForm, OverviewFilterForm
from lms.compliance.models import Requirement
from lms.compliance.rules.views import bp as rules_bp
from lms.core.auth import actor, admin_required, login_required, setting_lead_required
from lms.core.tables import attachment
from lms.core.time import london_today, utcnow
from lms.core.urls import url_for_each
from lms.downloads import services as downloads
from lms.downloads.forms import PrepareDownloadForm
from lms.extensions import db
from lms.organisations.models import JobRole, Organisation
from lms.organisations.services import organisation_choices
from lms.records.services import list_completions

bp = Blueprint("compliance", __name__, template_folder="templates")
bp.register_blueprint(rules_bp)

MATRIX_PER_PAGE = 50
ORGANISATIONS_PER_PAGE = 25


# --- helpers --------------------------------------------------------------------------

def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _page_number() -> int:
    return max(1, _int_or_none(request.args.get("page")) or 1)


def _as_of(form) -> tuple[date, date | None]:
    """(the day to show, the day asked for or None). A date with an error falls back to
    today; the error is already on the form's field for the error summary."""
    today = london_today(utcnow())
    if form.as_of.errors:
        return today, None
    return (form.as_of.data or today), form.as_of.data


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


_LED_ORGANISATIONS = (
    select(Organisation)
    .join(SettingLead, SettingLead.organisation_id == Organisation.id)
    .where(SettingLead.user_id == bindparam("user_id"))
    .order_by(Organisation.name)
    .options(lazyload("*"))
)


def choose_organisation(endpoint: str):
    """(organisation, None, led) for ?organisation= (or the only organisation a lead
    leads), or (None, a page asking which, led) when there is a choice to make; `led` is
    the ids of the organisations a lead leads (None for an admin). An organisation the
    person may not see is a 404."""
    person = actor()
    requested = request.args.get("organisation")
    # A lead's organisations in one statement; the pages use no more of an organisation
    # than its own row (its type, sector and area load only if asked for).
    leads = None if person.is_admin else list(db.session.scalars(_LED_ORGANISATIONS, {"user_id": person.id}))
    led = None if leads is None else [org.id for org in leads]
    if requested not in (None, ""):
        organisation_id = _int_or_none(requested)
        if leads is None:
            organisation = None if organisation_id is None else db.session.get(
                Organisation, organisation_id, options=[lazyload("*")]
            )
        else:
            organisation = next((org for org in leads if org.id == organisation_id), None)
        if organisation is None:
            abort(404)
        return organisation, None, led
    if leads is not None and len(leads) == 1:
        return leads[0], None, led
    if leads is None:
        options = organisation_choices(active_only=False)
    else:
        options = [(org.id, org.name) for org in leads]
    form = ChooseOrganisationForm(request.args)
    form.organisation.choices = [SelectChoice("", "Select an organisation")] + [
        SelectChoice(str(i), name) for i, name in options
    ]
    if requested == "":  # "Continue" with nothing chosen
        form.organisation.errors = ["Select an organisation"]
    return None, render_template("compliance/choose.html", form=form, endpoint=endpoint), led


# --- what training I need ---------------------------------------------------------------

@bp.get("/my-training")
@login_required
def my_training():
    form = AsOfForm(request.args)
    form.validate()
    as_of, asked = _as_of(form)
    person = actor()
    return render_template(
        "compliance/my_training.html",
        form=form,
        person=person,
        needs=queries.training_needs(person, as_of=as_of),
        as_of=as_of,
        asked=asked,
        today=london_today(utcnow()),
    )


# --- a setting lead's staff matrix ------------------------------------------------------

@dataclass
class MatrixState:
    """What the URL asks the matrix (and its exports) to show."""

    form: MatrixFilterForm
    filters: matrix_queries.MatrixFilters
    requirements: list[Requirement]
    as_of: date
    args: dict  # the filters and date, for links that keep them (not the sort or page)
    described: list[tuple[str, str]]  # the filters in words, for the export and the audit log
    kept: dict[int, dict[str, int]] | None  # the organisation's kept counts for the day (MatrixColumns.kept)


def _matrix_state(organisation: Organisation) -> MatrixState:
    """The filter form, the filters it gives, the requirements and the date, from the URL.
    Unknown values are dropped, not errors; only a date that is not real is an error."""
    form = MatrixFilterForm(request.args)
    form.validate()
    as_of, asked = _as_of(form)
    columns = matrix_queries.matrix_columns(organisation.id, as_of=as_of)
    requirements = columns.requirements
    roles = list(db.session.scalars(select(JobRole).where(JobRole.active.is_(True)).order_by(JobRole.position)))
    form.requirement.choices = [SelectChoice("", "All requirements")] + [
        SelectChoice(r.code, r.name) for r in requirements
    ]
    form.status.choices = [SelectChoice("", "Any status")] + [
        SelectChoice(code, label) for code, label in queries.FILTER_STATUSES.items()
    ]
    form.job_role.choices = [SelectChoice("", "Any job role")] + [SelectChoice(str(r.id), r.name) for r in roles]
    codes = {r.code for r in requirements}
    requirement = form.requirement.data if form.requirement.data in codes else None
    status = form.status.data if form.status.data in queries.FILTER_STATUSES else None
    role_ids = {r.id: r.name for r in roles}
    job_role_id = _int_or_none(form.job_role.data)
    if job_role_id not in role_ids:
        job_role_id = None
    sort = form.sort.data or matrix_queries.SORT_NAME
    if sort.lstrip("-") not in codes | {matrix_queries.SORT_NAME}:
        sort = matrix_queries.SORT_NAME
    # Show what is applied, not what was typed: unknown values are dropped.
    form.requirement.data = requirement or ""
    form.status.data = status or ""
    form.job_role.data = str(job_role_id) if job_role_id else ""
    form.sort.data = sort if sort != matrix_queries.SORT_NAME else ""
    form.organisation.data = str(organisation.id)
    filters = matrix_queries.MatrixFilters(
        requirement=requirement, status=status, job_role_id=job_role_id, search=(form.q.data or "").strip()[:100] or None,
        sort=sort,
    )
    args = {
        "organisation": organisation.id,
        "q": filters.search,
        "requirement": requirement,
        "status": status,
        "job_role": job_role_id,
        "as_of": _iso(asked),
    }
    args = {key: value for key, value in args.items() if value not in (None, "")}
    described = []
    if filters.search:
        described.append(("Name or email address", filters.search))
    if requirement:
        described.append(("Requirement", next(r.name for r in requirements if r.code == requirement)))
    if status:
        described.append(("Status", queries.FILTER_STATUSES[status]))
    if job_role_id:
        described.append(("Job role", role_ids[job_role_id]))
    return MatrixState(form, filters, requirements, as_of, args, described, columns.kept)


@bp.get("/organisation/compliance")
@setting_lead_required
def matrix():
    organisation, choice, led = choose_organisation("compliance.matrix")
    if organisation is None:
        return choice
    state = _matrix_state(organisation)
    filters, args = state.filters, state.args
    table = matrix_queries.matrix(
        organisation, as_of=state.as_of, filters=filters, requirements=state.requirements,
        page=_page_number(), per_page=MATRIX_PER_PAGE,
    )
    # Without requirement or status filters the table lists exactly the people the
    # summary counts: reuse its total rather than count them again.
    narrowed = filters.requirement is not None or filters.status is not None
    people, summary = matrix_queries.matrix_summary(
        organisation, as_of=state.as_of, filters=filters, requirements=state.requirements,
        people=None if narrowed else table.page.total, kept=state.kept,
    )
    return render_template(
        "compliance/matrix.html",
        form=state.form,
        organisation=organisation,
        table=table,
        summary=summary,
        people=people,
        filters=filters,
        described=state.described,
        as_of=state.as_of,
        today=london_today(utcnow()),
        args=args,
        sorted_args={**args, "sort": filters.sort} if filters.sort != matrix_queries.SORT_NAME else args,
        may_choose=led is None or len(led) > 1,
        statuses=queries.FILTER_STATUSES,
        tag_classes=queries.STATUS_TAG_CLASSES,
        lines=_matrix_lines(table, args.get("as_of")),
        sort_headers=_sort_headers(table.requirements, filters.sort, args),
        summary_cells=_summary_cells(args),
        prepare=table.page.total > export_downloads.direct_limit(), prepare_form=PrepareDownloadForm(),
    )


def _sort_headers(requirements: list[Requirement], sort: str, args: dict) -> Markup:
    """The matrix's column headings: each a link that sorts by it (selecting the current
    sort column again reverses it), the order in words for screen readers, and
    aria-sort plus the order shown on the current one."""
    current_key, descending = sort.lstrip("-"), sort.startswith("-")
    parts = []
    for key, text in [(matrix_queries.SORT_NAME, "Name")] + [(r.code, r.name) for r in requirements]:
        current = key == current_key
        next_sort = f"-{key}" if current and not descending else key
        if key == matrix_queries.SORT_NAME:
            offered, shown = ("Z to A" if current and not descending else "A to Z"), ("Z to A" if descending else "A to Z")
        else:
            offered = "least urgent first" if current and not descending else "most urgent first"
            shown = "least urgent first" if descending else "most urgent first"
        href = url_for(".matrix", **dict(args, sort=next_sort))
        aria = f' aria-sort="{"descending" if descending else "ascending"}"' if current else ""
        order = f' <span class="govuk-body-s">({shown})</span>' if current else ""
        parts.append(
            f'<th scope="col" class="govuk-table__header"{aria}><a class="govuk-link" href="{escape(href)}">'
            f'{escape(text)}<span class="govuk-visually-hidden">: sort {offered}</span></a>{order}</th>'
        )
    return Markup("".join(parts))


_STATUS_SENTINEL = "zzstatuszz"


def _summary_cells(args: dict):
    """A function giving a summary row's cells: per status, the number of people as a
    link to them (with the share and the status in words for screen readers), or 0; then
    how many it does not apply to. One link is built per requirement and the status put
    into it, rather than a link built per cell."""
    statuses = queries.FILTER_STATUSES

    def cells(item: matrix_queries.RequirementSummary) -> Markup:
        code = item.requirement.code
        link = url_for(".matrix", **dict(args, requirement=code, status=_STATUS_SENTINEL))
        reusable = link.count(_STATUS_SENTINEL) == 1
        parts = []
        for status, label in statuses.items():
            number = item.counts.get(status, 0)
            if number:
                href = (link.replace(_STATUS_SENTINEL, status) if reusable
                        else url_for(".matrix", **dict(args, requirement=code, status=status)))
                parts.append(
                    f'<td class="govuk-table__cell govuk-table__cell--numeric"><a class="govuk-link" href="{escape(href)}">'
                    f'{int(number)} <span class="govuk-body-s">({int(item.percent(status))}%)</span>'
                    f'<span class="govuk-visually-hidden"> {escape(label.lower())}: show them</span></a></td>'
                )
            else:
                parts.append('<td class="govuk-table__cell govuk-table__cell--numeric">0</td>')
        parts.append(f'<td class="govuk-table__cell govuk-table__cell--numeric">{int(item.not_applicable)}</td>')
        return Markup("".join(parts))

    return cells


_NOT_APPLICABLE_TD = ('<td class="govuk-table__cell"><span aria-hidden="true">—</span>'
                      '<span class="govuk-visually-hidden">Does not apply</span></td>')


def _matrix_lines(table: matrix_queries.Matrix, as_of: str | None) -> list[tuple[str, str, str, Markup]]:
    """(link to the person's page, name, job roles in words, the row's cells as markup)
    for each row of the matrix. The cells are written here in one pass, not by the
    template cell by cell: the status in words inside a coloured tag (colour is never the
    only cue), and "does not apply" spelt out for screen readers. Cells that read the
    same are written once."""
    person_link = url_for_each(".person", "user_id", as_of=as_of)
    written: dict[queries.Cell, str] = {}
    lines = []
    for row in table.rows:
        parts = []
        for cell in row.line:
            td = written.get(cell)
            if td is None:
                if cell.applicable:
                    td = (f'<td class="govuk-table__cell"><strong class="govuk-tag {escape(cell.tag_classes)}">'
                          f'{escape(cell.text)}</strong></td>')
                else:
                    td = _NOT_APPLICABLE_TD
                written[cell] = td
            parts.append(td)
        lines.append((person_link(row.person_id), row.name, ", ".join(row.roles) or "No job role recorded", Markup("".join(parts))))
    return lines


@bp.get("/organisation/compliance/export.<extension>")
@setting_lead_required
def export(extension: str):
    if extension not in exports.FORMATS:
        abort(404)
    organisation, _, _ = choose_organisation("compliance.matrix")
    if organisation is None:
        return redirect(url_for(".matrix"))
    state = _matrix_state(organisation)
    if state.form.errors:  # back to the page, which shows the error
        return redirect(url_for(".matrix", **request.args.to_dict(flat=False)))
    as_of, described = state.as_of, state.described
    counted = matrix_queries.matrix(
        organisation, as_of=as_of, filters=state.filters, requirements=state.requirements, page=1, per_page=1,
    )
    if counted.page.total > export_downloads.direct_limit():  # too big for a request: prepared instead
        flash("This export is large, so it is prepared in the background: select ‘Prepare the CSV’ or "
              "‘Prepare the Excel file’", "info")
        return redirect(url_for(".matrix", **request.args.to_dict(flat=False)))
    table = matrix_queries.matrix(
        organisation, as_of=as_of, filters=state.filters, requirements=state.requirements, page=None
    )
    now = utcnow()
    name = exports.matrix_filename(table, extension)
    if extension == "csv":
        body = exports.matrix_csv(table)
    else:
        body = exports.matrix_xlsx(table, generated_at=now, filters=described)
    audit.record(
        actor(), "compliance.export", target=organisation, now=now,
        summary=f"Downloaded the training compliance of {organisation.name} as {extension.upper()} ({len(table.rows)} people)",
        after={
            "format": extension, "as_of": as_of, "people": len(table.rows),
            "filters": {label: value for label, value in described},
            "requirements": [r.code for r in table.requirements],
        },
    )
    db.session.commit()
    return attachment(body, extension, name)


@bp.post("/organisation/compliance/export/prepare")
@setting_lead_required
def export_prepare():
    """Queue a large staff matrix export (CSV or XLSX, from the button) and go to its
    progress page."""
    organisation, _, _ = choose_organisation("compliance.matrix")
    if organisation is None:
        abort(404)
    form = PrepareDownloadForm()
    extension = request.form.get("format")
    if not form.validate_on_submit() or extension not in exports.FORMATS:
        return redirect(url_for(".matrix", organisation=organisation.id))
    state = _matrix_state(organisation)
    if state.form.errors:
        return redirect(url_for(".matrix", **request.args.to_dict(flat=False)))
    params = export_downloads.params_for(organisation, extension=extension, as_of=state.as_of, filters=state.filters,
                                         described=state.described, args=state.args)
    download = downloads.queue(
        actor(), export_downloads.KIND, params, now=utcnow(),
        title=export_downloads.title_for(organisation, extension, state.as_of, bool(state.described)),
    )
    db.session.commit()
    return redirect(url_for("downloads.show", download_id=download.id))


@bp.get("/organisation/compliance/<int:user_id>")
@setting_lead_required
def person(user_id: int):
    viewer = actor()
    person = db.session.get(User, user_id)
    if person is None or person.organisation_id is None:
        abort(404)
    if not viewer.is_admin and person.organisation_id not in led_organisation_ids(viewer):
        abort(404)  # a lead does not learn that people elsewhere exist
    form = AsOfForm(request.args)
    form.validate()
    as_of, asked = _as_of(form)
    completions = list(db.session.scalars(list_completions(person)))
    return render_template(
        "compliance/person.html",
        form=form,
        person=person,
        needs=queries.training_needs(person, as_of=as_of),
        completions=completions,
        as_of=as_of,
        asked=asked,
        today=london_today(utcnow()),
        back_args={"organisation": person.organisation_id, "as_of": _iso(asked)},
    )


# --- the admin overview ---------------------------------------------------------------

@dataclass
class OverviewState:
    """What the URL asks the overview (and its downloads) to count."""

    form: OverviewFilterForm
    requirement: Requirement | None
    sort: str
    as_of: date
    args: dict  # the requirement and date, for links that keep them (not the sort or page)


def _overview_state() -> OverviewState:
    """The filter form, the requirement and the date from the URL. An unknown
    requirement or sort is dropped, not an error; only a date that is not real is one."""
    form = OverviewFilterForm(request.args)
    form.validate()
    as_of, asked = _as_of(form)
    requirements = list(
        db.session.scalars(select(Requirement).where(Requirement.active.is_(True)).order_by(Requirement.position))
    )
    form.requirement.choices = [SelectChoice("", "All requirements")] + [
        SelectChoice(r.code, r.name) for r in requirements
    ]
    requirement = next((r for r in requirements if r.code == form.requirement.data), None)
    form.requirement.data = requirement.code if requirement else ""
    sort = form.sort.data if form.sort.data in overview_queries.ORGANISATION_SORTS else "overdue"
    form.sort.data = sort if sort != "overdue" else ""
    args = {"requirement": requirement.code if requirement else None, "as_of": _iso(asked)}
    args = {key: value for key, value in args.items() if value}
    return OverviewState(form, requirement, sort, as_of, args)


@bp.get("/admin/compliance")
@admin_required
def overview():
    state = _overview_state()
    requirement, sort, args = state.requirement, state.sort, state.args
    groups, page = overview_queries.overview(
        as_of=state.as_of, requirement_id=requirement.id if requirement else None, sort=sort, page=_page_number(),
        per_page=ORGANISATIONS_PER_PAGE,
    )
    return render_template(
        "compliance/overview.html",
        form=state.form,
        requirement=requirement,
        groups=groups,
        group_titles={key: title for key, (title, _) in overview_queries.OVERVIEW_GROUPS.items()},
        total=overview_queries.overview_total(groups["sector"]),
        page=page,
        sort=sort,
        args=args,
        as_of=state.as_of,
        today=london_today(utcnow()),
        statuses=OVERVIEW_STATUSES,
        labels=queries.STATUS_LABELS,
        count_rows=_count_rows(args),
    )


@bp.get("/admin/compliance/export.<extension>")
@admin_required
def overview_export(extension: str):
    """Every row of the overview (the groups and all the organisations, not one page) as
    CSV or XLSX, for the page's requirement and date; written to the audit log."""
    if extension not in exports.FORMATS:
        abort(404)
    state = _overview_state()
    if state.form.errors:  # back to the page, which shows the error
        return redirect(url_for(".overview", **request.args.to_dict(flat=False)))
    now = utcnow()
    report = exports.gather_overview(as_of=state.as_of, requirement=state.requirement)
    if extension == "csv":
        body = exports.overview_csv(report)
    else:
        body = exports.overview_xlsx(report, generated_at=now)
    requirement_name = state.requirement.name if state.requirement else "all requirements"
    audit.record(
        actor(), "compliance.overview_export", now=now,
        summary=(f"Downloaded the partnership's training compliance ({requirement_name}, "
                 f"{report.organisations} organisation{'s' if report.organisations != 1 else ''}) as {extension.upper()}"),
        after={
            "format": extension, "as_of": state.as_of,
            "requirement": state.requirement.code if state.requirement else None,
            "rows": len(report.rows), "organisations": report.organisations,
        },
    )
    db.session.commit()
    return attachment(body, extension, exports.overview_filename(report, extension))


OVERVIEW_STATUSES = [engine.CURRENT, engine.DUE_SOON, engine.OVERDUE, engine.NOT_YET_DUE]


def _count_rows(args: dict):
    """A function writing the overview's table rows: each group's name (for organisations,
    a link to its staff matrix with the overview's requirement and date), then "12 (40%)"
    per status and the total. One pass per table rather than template calls per cell."""
    organisation_link = url_for_each(".matrix", "organisation", **args)

    def rows(groups: list[overview_queries.GroupCounts], link: bool = False) -> Markup:
        parts = []
        for row in groups:
            name = escape(row.name)
            if link and row.key:
                name = Markup(f'<a class="govuk-link" href="{escape(organisation_link(row.key))}">{name}</a>')
            parts.append(f'<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">{name}</th>')
            counts, total = row.counts, row.total
            for status in OVERVIEW_STATUSES:
                number = counts.get(status, 0)
                percent = round(100 * number / total) if total else 0
                parts.append(f'<td class="govuk-table__cell govuk-table__cell--numeric">{int(number)} '
                             f'<span class="govuk-body-s">({int(percent)}%)</span></td>')
            parts.append(f'<td class="govuk-table__cell govuk-table__cell--numeric">{int(total)}</td></tr>')
        return Markup("".join(parts))

    return rows
