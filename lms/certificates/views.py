"""Certificate pages: a person's certificates, one certificate (download, reissue,
revoke), the public check at /verify, and the admins' search. A session's certificates,
for its trainers, are in courses.sessions."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.certificates import services
from lms.certificates.forms import ReissueForm, RevokeForm, VerifyForm
from lms.certificates.models import Certificate, display_code
from lms.core.auth import actor, admin_required, login_required
from lms.core.errors import DomainError
from lms.core.forms import fail
from lms.core.pagination import page_href, paginate
from lms.core.time import london_today, utcnow
from lms.evaluations import services as evaluations
from lms.extensions import db
from lms.catalogue.models import DELIVERY_MODES

bp = Blueprint("certificates", __name__, template_folder="templates")

PER_PAGE = 25


def _visible(code: str) -> Certificate:
    """The certificate, if the person signed in may see it (else NotFound, a 404 page)."""
    certificate = services.get_by_code(code)
    services.check_may_see(actor(), certificate)
    return certificate


def _pdf_response(body: bytes, filename: str):
    """The PDF shown in the browser (inline), never cached."""
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- a person's certificates ------------------------------------------------------------------

@bp.get("/certificates")
@login_required
def mine():
    return _person_list(actor())


@bp.get("/people/<int:person_id>/certificates")
@login_required
def person(person_id: int):
    person = db.session.get(User, person_id)
    if person is None or not accounts.can_see_person(actor(), person):
        abort(404)
    return _person_list(person)


def _person_list(person: User):
    certificates = list(db.session.scalars(services.list_for(person)))
    own = person.id == actor().id
    return render_template(
        "certificates/list.html", person=person, own=own, certificates=certificates,
        waiting=evaluations.waiting_for(person) if own else [],
        today=london_today(utcnow()), delivery_modes=DELIVERY_MODES,
    )


@bp.get("/certificates/<code>")
@login_required
def show(code: str):
    certificate = _visible(code)
    return render_template(
        "certificates/show.html",
        certificate=certificate,
        status=certificate.status_on(london_today(utcnow())),
        replaced_by=services.replaced_by(certificate) if certificate.is_revoked else None,
        earlier=services.history(certificate),
        verify_url=services.verify_url(certificate),
        delivery_modes=DELIVERY_MODES,
    )


@bp.get("/certificates/<code>/pdf")
@login_required
def download(code: str):
    certificate = _visible(code)
    return _pdf_response(services.pdf_bytes(certificate, now=utcnow()), services.pdf_filename(certificate))


@bp.route("/certificates/<code>/reissue", methods=["GET", "POST"])
@admin_required
def reissue(code: str):
    certificate = _visible(code)
    form = ReissueForm()
    if form.validate_on_submit():
        try:
            replacement = services.reissue(certificate, reason=form.reason.data, actor=actor(), now=utcnow())
        except DomainError as error:
            fail(error, form, "reason")
        else:
            db.session.commit()
            flash(f"Certificate reissued as {replacement.display_code}. The old code now shows as revoked.", "success")
            return redirect(url_for("certificates.show", code=replacement.code))
    return render_template("certificates/reissue.html", certificate=certificate, form=form), 400 if form.errors else 200


@bp.route("/certificates/<code>/revoke", methods=["GET", "POST"])
@admin_required
def revoke(code: str):
    certificate = _visible(code)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke(certificate, reason=form.reason.data, actor=actor(), now=utcnow())
        except DomainError as error:
            fail(error, form, "reason")
        else:
            db.session.commit()
            flash(f"Certificate {certificate.display_code} revoked", "success")
            return redirect(url_for("certificates.show", code=certificate.code))
    return render_template("certificates/revoke.html", certificate=certificate, form=form), 400 if form.errors else 200


# --- anyone: is this certificate genuine? -----------------------------------------------------------

@bp.get("/verify")
def verify():
    form = VerifyForm(request.args, meta={"csrf": False})
    if "code" in request.args and form.validate():
        code = services.normalise_code(form.code.data)
        if code is None:
            form.code.errors = ["Enter the code as it is printed: 16 letters and numbers"]
        else:
            return redirect(url_for("certificates.verify_code", code=display_code(code)))
    return render_template("certificates/verify.html", form=form), 400 if form.errors else 200


@bp.get("/verify/<code>")
def verify_code(code: str):
    certificate = services.find_by_code(code)
    if certificate is None:
        return render_template("certificates/verify_result.html", certificate=None, code=code), 404
    replacement = services.replaced_by(certificate) if certificate.is_revoked else None
    response = make_response(render_template(
        "certificates/verify_result.html", certificate=certificate, code=code,
        status=certificate.status_on(london_today(utcnow())), replacement=replacement,
    ))
    # The answer changes when a certificate is revoked or expires: never from a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


# --- admins: find a certificate -------------------------------------------------------------------

@bp.get("/admin/certificates")
@admin_required
def admin_index():
    query_text = (request.args.get("q") or "").strip()[:200]
    statement = select(Certificate)
    if query_text:
        code = services.normalise_code(query_text)
        conditions = [func.lower(Certificate.holder_name).contains(query_text.lower(), autoescape=True),
                      func.lower(Certificate.course_title).contains(query_text.lower(), autoescape=True)]
        if code is not None:
            conditions.append(Certificate.code == code)
        statement = statement.where(or_(*conditions))
    page = paginate(statement.order_by(Certificate.issued_at.desc(), Certificate.id.desc()),
                    page=request.args.get("page", 1, type=int), per_page=PER_PAGE)
    return render_template(
        "certificates/admin_index.html", page=page, q=query_text, today=london_today(utcnow()),
        pagination=page.govuk_pagination(page_href("certificates.admin_index", {"q": query_text} if query_text else {}),
                                          label="Pages of certificates"),
    )
