"""The twilight pages: the year's twilights for DSLs (book a session, or book the year), and
the admins' pages (add a series, set a term's topic, add a term's sessions, copy forward)
and the per-term report for admins and trainers (page, CSV, XLSX)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import SelectChoice

from lms.accounts.models import User
from lms.bookings import formatting
from lms.bookings import services as bookings
from lms.core import auth, tables
from lms.core.auth import admin_required, login_required, trainer_required
from lms.core.errors import DomainError
from lms.core.forms import attempt, fail
from lms.core.time import format_date, london_today, to_london, utcnow
from lms.extensions import db
from lms.organisations.models import Organisation
from lms.programmes.twilights import services
from lms.programmes.twilights.forms import ButtonForm, SeriesForm, TopicForm, host_field, term_sessions_form

bp = Blueprint("twilights", __name__, template_folder="templates")


# --- for DSLs -------------------------------------------------------------------------------


@bp.get("/twilights")
@login_required
def index():
    now = utcnow()
    current = services.current_series(now)
    return render_template("programmes/twilights/index.html", current=current, series=services.list_series())


def _render_series(programme, *, status=200, error: str | None = None):
    person = auth.actor()
    now = utcnow()
    terms = services.terms_of(programme)
    rows = [row for term in terms for row in services.term_sessions(term)]
    left = services.places_left(rows)
    mine = services.bookings_in_series(programme, person)
    materials = {term.id: services.may_see_materials(term, person) for term in terms}
    area = person.organisation.area if person.organisation is not None else None
    return render_template(
        "programmes/twilights/series.html",
        programme=programme, terms=terms, left=left, mine=mine, materials=materials,
        problem=services.eligibility_problem(person), area=area, error=error,
        signup_state=lambda s: bookings.signup_state(s, now), when=formatting.session_when,
        form=ButtonForm(), term_sessions=services.term_sessions, twilight_of=services.twilight_of,
    ), status


@bp.get("/twilights/<int:programme_id>")
@login_required
def series(programme_id: int):
    return _render_series(services.get_series(programme_id))


@bp.post("/twilights/<int:programme_id>/book-the-year")
@login_required
def book_the_year(programme_id: int):
    programme = services.get_series(programme_id)
    form = ButtonForm()
    if not form.validate_on_submit():
        return _render_series(programme, status=400, error="Your form expired: try again")
    try:
        places = services.book_the_year(programme, auth.actor(), now=utcnow())
    except DomainError as error:
        fail(error)
        return _render_series(programme, status=422, error=error.message)
    db.session.commit()
    lines = []
    for place in places:
        if place.new:
            where = f"{place.twilight.area.name}, {format_date(to_london(place.booking.session.starts_at).date())}"
            lines.append(f"{place.term.label}: {place.booking.status_name.lower()} ({where})")
        else:
            lines.append(f"{place.term.label}: {place.note}")
    flash("Your year of twilights: " + "; ".join(lines), "success")
    return redirect(url_for("programmes.twilights.series", programme_id=programme.id))


@bp.post("/twilights/sessions/<int:session_id>/book")
@login_required
def book(session_id: int):
    session = bookings.get_session(session_id)
    row = services.twilight_of(session)
    if row is None:
        return redirect(url_for("bookings.session", session_id=session.id))
    programme = row.term.programme
    if not ButtonForm().validate_on_submit():
        return _render_series(programme, status=400, error="Your form expired: try again")
    try:
        booking = services.book_session(session, auth.actor(), now=utcnow())
    except DomainError as error:
        fail(error)
        return _render_series(programme, status=422, error=error.message)
    db.session.commit()
    flash(f"{row.term.label} twilight in {row.area.name}: {booking.status_name.lower()}", "success")
    return redirect(url_for("programmes.twilights.series", programme_id=programme.id))


# --- for admins (trainers see the series and its reports) -----------------------------------------------------------------------------


@bp.get("/manage/twilights")
@trainer_required
def manage_index():
    return render_template("programmes/twilights/manage_index.html", series=services.list_series())


@bp.route("/manage/twilights/new", methods=["GET", "POST"])
@admin_required
def create():
    form = SeriesForm()
    if request.method == "GET":
        form.start_year.data = services.academic_year_of(london_today(utcnow()))
    if form.validate_on_submit():
        ok, programme = attempt(form, lambda: services.create_series(
            form.start_year.data, summary=form.summary.data, actor=auth.actor(), now=utcnow()),
            default_field="start_year")
        if ok:
            flash(f"Added {programme.title}", "success")
            return redirect(url_for("programmes.twilights.manage", programme_id=programme.id))
    return render_template("programmes/twilights/create.html", form=form), 400 if form.errors else 200


@bp.get("/manage/twilights/<int:programme_id>")
@trainer_required
def manage(programme_id: int):
    programme = services.get_series(programme_id)
    terms = services.terms_of(programme)
    rows = [row for term in terms for row in services.term_sessions(term, include_cancelled=True)]
    return render_template("programmes/twilights/manage.html", programme=programme, terms=terms,
                           left=services.places_left(rows), form=ButtonForm(), when=formatting.session_when,
                           term_sessions=services.term_sessions)


@bp.route("/manage/twilights/terms/<int:term_id>/topic", methods=["GET", "POST"])
@admin_required
def topic(term_id: int):
    term = services.get_term(term_id)
    form = TopicForm()
    if request.method == "GET":
        form.title.data, form.summary.data, form.agencies.data = term.topic_title, term.topic_summary, term.agencies
        form.materials_url.data, form.materials_text.data = term.materials_url, term.materials_text
    if form.validate_on_submit():
        values = services.TopicValues(title=form.title.data or "", summary=form.summary.data or "",
                                      agencies=form.agencies.data or "", materials_url=form.materials_url.data or "",
                                      materials_text=form.materials_text.data or "")
        ok, _ = attempt(form, lambda: services.update_topic(term, values, actor=auth.actor(), now=utcnow()),
                        default_field="title")
        if ok:
            flash(f"Saved the {term.label} topic", "success")
            return redirect(url_for("programmes.twilights.manage", programme_id=term.programme_id))
    return render_template("programmes/twilights/topic.html", form=form, term=term), 400 if form.errors else 200


def _trainers() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.is_trainer.is_(True), User.active.is_(True)).order_by(User.full_name)))


@bp.route("/manage/twilights/terms/<int:term_id>/sessions", methods=["GET", "POST"])
@admin_required
def term_sessions(term_id: int):
    term = services.get_term(term_id)
    areas = services.areas()
    hosts = {area.id: services.possible_hosts(area) for area in areas}
    form = term_sessions_form([(area, hosts[area.id]) for area in areas],
                              formdata=request.form if request.method == "POST" else None)
    trainers = _trainers()
    form.trainer.choices = [SelectChoice("", "Partnership admins only")] + [SelectChoice(str(t.id), t.full_name)
                                                                             for t in trainers]
    if request.method == "GET":
        form.capacity.data = services.DEFAULT_CAPACITY
    if request.method == "POST" and form.validate():
        planned = []
        for area, field in form.host_fields():
            if field.data is None:
                continue
            host = db.session.get(Organisation, field.data) if field.data > 0 else None
            if host is None:
                field.errors = [*field.errors, f"Choose a school in {area.name} from the list"]
                continue
            planned.append(services.PlannedSession(area=area, host=host, day=form.day.data))
        trainer = next((t for t in trainers if t.id == form.trainer.data), None)
        if not form.errors:
            plan = services.TermPlan(starts=form.starts.data, ends=form.ends.data, capacity=form.capacity.data,
                                     sessions=planned, trainers=[trainer] if trainer else [])
            default = host_field(areas[0].id) if areas else "day"
            try:
                made = services.create_term_sessions(term, plan, actor=auth.actor(), now=utcnow())
            except DomainError as error:
                if error.field == "hosts":
                    error = DomainError(error.message, field=default)
                fail(error, form, default_field="day")
            else:
                db.session.commit()
                flash(f"Added {len(made)} twilight session{'s' if len(made) != 1 else ''} for {term.label}", "success")
                return redirect(url_for("programmes.twilights.manage", programme_id=term.programme_id))
    taken = {row.area_id for row in services.term_sessions(term)}
    return render_template("programmes/twilights/term_sessions.html", form=form, term=term, taken=taken,
                           window=services.term_window(term.programme.starts_on.year, term.term)), \
        400 if form.errors else 200


@bp.post("/manage/twilights/terms/<int:term_id>/copy")
@admin_required
def copy_term(term_id: int):
    term = services.get_term(term_id)
    if ButtonForm().validate_on_submit():
        try:
            target, made = services.copy_term_forward(term, actor=auth.actor(), now=utcnow())
        except DomainError as error:
            fail(error)
            flash(error.message)
        else:
            db.session.commit()
            flash(f"Copied {len(made)} sessions to {target.label}: check the dates", "success")
            return redirect(url_for("programmes.twilights.manage", programme_id=target.programme_id))
    else:
        flash("Your form expired: try again")
    return redirect(url_for("programmes.twilights.manage", programme_id=term.programme_id))


@bp.post("/manage/twilights/<int:programme_id>/copy")
@admin_required
def copy_year(programme_id: int):
    programme = services.get_series(programme_id)
    if ButtonForm().validate_on_submit():
        try:
            target, made = services.copy_year_forward(programme, actor=auth.actor(), now=utcnow())
        except DomainError as error:
            fail(error)
            flash(error.message)
        else:
            db.session.commit()
            flash(f"Copied {len(made)} sessions to {target.title}: set each term’s topic", "success")
            return redirect(url_for("programmes.twilights.manage", programme_id=target.id))
    else:
        flash("Your form expired: try again")
    return redirect(url_for("programmes.twilights.manage", programme_id=programme.id))


# --- the per-term report --------------------------------------------------------------------


@bp.get("/manage/twilights/terms/<int:term_id>/report")
@trainer_required
def report(term_id: int):
    term = services.get_term(term_id)
    result = services.term_report(term, actor=auth.actor())
    return render_template("programmes/twilights/report.html", term=term, report=result, when=formatting.session_when)


def _filename(term, kind: str) -> str:
    return f"twilights-{term.term}-{term.year}-schools-not-represented.{kind}"


@bp.get("/manage/twilights/terms/<int:term_id>/report.csv")
@trainer_required
def report_csv(term_id: int):
    term = services.get_term(term_id)
    result = services.term_report(term, actor=auth.actor())
    body = tables.to_csv(services.REPORT_HEADER, services.not_represented_rows(result))
    return tables.attachment(body, "csv", _filename(term, "csv"))


@bp.get("/manage/twilights/terms/<int:term_id>/report.xlsx")
@trainer_required
def report_xlsx(term_id: int):
    term = services.get_term(term_id)
    result = services.term_report(term, actor=auth.actor())
    body = tables.to_xlsx(
        [tables.Sheet("Not represented", services.REPORT_HEADER, services.not_represented_rows(result),
                      widths={1: 40, 2: 24, 3: 16, 4: 10}),
         tables.Sheet("By area", services.AREA_HEADER, services.area_rows(result), widths={1: 16, 2: 40, 3: 14})],
        [("Report", f"DSL network twilight, {term.label}: schools not represented"),
         ("Topic", term.topic),
         ("DSLs attending", result.attended),
         ("Schools", result.schools),
         ("Schools represented", result.represented),
         ("Share represented (%)", float(result.share)),
         ("Schools counted", "Active organisations of the types: " + ", ".join(services.SCHOOL_TYPES))],
        generated_at=utcnow(),
    )
    return tables.attachment(body, "xlsx", _filename(term, "xlsx"))
