"""CPD portfolios (mine; a lead's or admin's view of a member of staff) and a setting's
evidence pack, each a page to check the period and what is in it, and a PDF to download.

Who may see what: anyone their own portfolio; a setting lead the portfolios and the pack
of the organisations they lead; an admin everyone's. Anything else is a 404, so nobody
learns that people elsewhere exist. Downloading someone else's portfolio or a pack is
written to the audit log.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from lms.accounts.models import User
from lms.accounts.services import led_organisation_ids
from lms.audit import services as audit
from lms.compliance import queries
from lms.compliance.views import choose_organisation
from lms.core.auth import actor, login_required, setting_lead_required
from lms.core.errors import DomainError
from lms.core.forms import apply_domain_error, read_period
from lms.core.pdf import render_pdf
from lms.core.tables import attachment, slug
from lms.core.time import london_today, utcnow
from lms.extensions import db
from lms.downloads import services as downloads
from lms.downloads.forms import PrepareDownloadForm
from lms.reports.portfolio import downloads as pack_downloads
from lms.reports.portfolio import services
from lms.reports.portfolio.pdf import pack_pdf as make_pack_pdf

bp = Blueprint("portfolio", __name__, template_folder="templates")


def _period(today: date):
    """(form, start, end): the period asked for, or the twelve months to today; start and
    end are None when the form has errors (shown on the page)."""
    form, valid = read_period(request.args, today, default_start=services.default_start)
    if not valid:
        return form, None, None
    try:
        services.check_period(form.start.data, form.end.data)
    except DomainError as error:
        apply_domain_error(form, error, "start")
        return form, None, None
    return form, form.start.data, form.end.data


# --- CPD portfolios ------------------------------------------------------------------------

def _staff_member(person_id: int) -> User:
    viewer = actor()
    person = db.session.get(User, person_id)
    if person is None or person.organisation_id is None:
        abort(404)
    if not viewer.is_admin and person.organisation_id not in led_organisation_ids(viewer):
        abort(404)
    return person


def _portfolio_page(person: User, *, own: bool, pdf: bool):
    now = utcnow()
    today = london_today(now)
    form, start, end = _period(today)
    if start is None:  # also for the PDF: a bad link shows the page with its errors
        return _render_portfolio(person, own=own, form=form, result=None, today=today), 400
    result = services.portfolio(person, start=start, end=end, now=now)
    if not pdf:
        return _render_portfolio(person, own=own, form=form, result=result, today=today)
    body = render_pdf("reports/portfolio/portfolio_pdf.html", portfolio=result, labels=queries.STATUS_LABELS)
    if not own:
        audit.record(
            actor(), "portfolio.download", target=person, now=now,
            summary=f"Downloaded the CPD portfolio of {person.full_name} ({start.isoformat()} to {end.isoformat()})",
            after={"person_id": person.id, "from": start, "to": end, "entries": len(result.entries)},
        )
        db.session.commit()
    return attachment(body, "pdf", f"cpd-portfolio-{slug(person.full_name, default='person')}-{end.isoformat()}.pdf")


def _render_portfolio(person: User, *, own: bool, form, result, today: date):
    args = form.as_args() if result is not None else {}
    if own:
        pdf_url = url_for(".mine_pdf", **args)
        page_url = url_for(".mine")
    else:
        pdf_url = url_for(".staff_pdf", person_id=person.id, **args)
        page_url = url_for(".staff", person_id=person.id)
    return render_template(
        "reports/portfolio/portfolio.html", person=person, own=own, form=form, portfolio=result, today=today,
        pdf_url=pdf_url if result is not None else None, page_url=page_url,
    )


@bp.get("/my-training/portfolio")
@login_required
def mine():
    return _portfolio_page(actor(), own=True, pdf=False)


@bp.get("/my-training/portfolio.pdf")
@login_required
def mine_pdf():
    return _portfolio_page(actor(), own=True, pdf=True)


@bp.get("/organisation/staff/<int:person_id>/portfolio")
@setting_lead_required
def staff(person_id: int):
    return _portfolio_page(_staff_member(person_id), own=False, pdf=False)


@bp.get("/organisation/staff/<int:person_id>/portfolio.pdf")
@setting_lead_required
def staff_pdf(person_id: int):
    return _portfolio_page(_staff_member(person_id), own=False, pdf=True)


# --- a setting's evidence pack ------------------------------------------------------------

def _pack_page(*, pdf: bool):
    organisation, choice, _ = choose_organisation(request.endpoint)
    if organisation is None:
        return choice
    now = utcnow()
    today = london_today(now)
    form, start, end = _period(today)
    pack = None
    if start is not None:
        pack = services.evidence_pack(organisation, start=start, end=end, actor=actor(), now=now)
    large = pack is not None and pack.people > pack_downloads.direct_limit()
    args = {"organisation": organisation.id, **(form.as_args() if pack is not None else {})}
    if pdf and large:  # too big to make in a request: the page offers to prepare it
        flash("This evidence pack is large, so it is prepared in the background: "
              "select ‘Prepare the evidence pack (PDF)’", "info")
        return redirect(url_for(".pack", **args))
    if pdf and pack is not None:
        body, _ = make_pack_pdf(pack, verify_url=url_for("certificates.verify", _external=True))
        audit.record(
            actor(), "evidence_pack.download", target=organisation, now=now,
            summary=f"Downloaded the training evidence pack of {organisation.name} "
                    f"({start.isoformat()} to {end.isoformat()})",
            after={"from": start, "to": end, "people": pack.people, "entries": len(pack.entries)},
        )
        db.session.commit()
        return attachment(body, "pdf",
                          f"training-evidence-{slug(organisation.name, default='organisation')}-{end.isoformat()}.pdf")
    return render_template(
        "reports/portfolio/pack.html", organisation=organisation, form=form, pack=pack, today=today,
        labels=queries.STATUS_LABELS, statuses=queries.URGENCY,
        pdf_url=url_for(".pack_pdf", **args) if pack is not None and not large else None,
        prepare_url=url_for(".pack_prepare", **args) if large else None, prepare_form=PrepareDownloadForm(),
    ), 200 if pack is not None else 400


@bp.get("/organisation/evidence-pack")
@setting_lead_required
def pack():
    return _pack_page(pdf=False)


@bp.get("/organisation/evidence-pack.pdf")
@setting_lead_required
def pack_pdf():
    return _pack_page(pdf=True)


@bp.post("/organisation/evidence-pack/prepare")
@setting_lead_required
def pack_prepare():
    """Queue a large pack as a prepared download and go to its progress page."""
    organisation, choice, _ = choose_organisation(request.endpoint)
    if organisation is None:
        abort(404)
    form = PrepareDownloadForm()
    if not form.validate_on_submit():
        abort(400)
    now = utcnow()
    _, start, end = _period(london_today(now))
    if start is None:
        return redirect(url_for(".pack", organisation=organisation.id))
    download = downloads.queue(
        actor(), pack_downloads.KIND, pack_downloads.params_for(organisation, start, end),
        title=pack_downloads.title_for(organisation, start, end), now=now,
    )
    db.session.commit()
    return redirect(url_for("downloads.show", download_id=download.id))
