"""Safeguarding Week's pages (programmes.week.*).

Public, no sign-in: the programme by day (/safeguarding-week), an event's calendar file,
the registration form for public events, and the registrant's page reached by the link in
every email (confirm, cancel). Admin: the weeks, a week's events, adding a week and an
event, and recording an event's public engagement (all audited)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for

from wtforms import SelectChoice

from lms.bookings import ics
from lms.bookings.formatting import clock, day as spoken_day, session_when, session_where
from lms.bookings.sessions.forms import ClockChangeError, london_to_utc
from lms.core.auth import actor, admin_required
from lms.core.errors import DomainError
from lms.core.forms import apply_domain_error, attempt, fail
from lms.core.time import london_today, utcnow
from lms.extensions import db
from lms.organisations.models import Organisation
from lms.programmes.week import services
from lms.programmes.week.forms import CancelForm, ConfirmForm, EventForm, RegisterForm, WeekForm, engagement_form
from lms.programmes.week.models import ENGAGEMENT_MEASURES

bp = Blueprint("week", __name__, template_folder="templates", static_folder="static",
               static_url_path="/safeguarding-week/static")


@bp.app_context_processor
def _helpers():
    return {"week_when": session_when, "week_where": session_where, "week_clock": clock, "week_day": spoken_day}


def client_address() -> str:
    return request.remote_addr or "unknown"


# --- the public programme ------------------------------------------------------------------


def _programme_page(programme):
    now = utcnow()
    events = services.events_of(programme)
    return render_template(
        "programmes/week/programme.html", programme=programme, details=services.details_of(programme),
        days=services.by_day(events), places=services.availability(events, now=now), others=services.weeks(),
    )


@bp.get("/safeguarding-week")
def current():
    programme = services.current_week(london_today(utcnow()))
    if programme is None:
        return render_template("programmes/week/none.html"), 404
    return _programme_page(programme)


@bp.get("/safeguarding-week/<int:programme_id>")
def programme(programme_id: int):
    try:
        week = services.get_week(programme_id)
    except DomainError as error:
        fail(error)
        raise
    return _programme_page(week)


def _public_event(event_id: int):
    try:
        return services.get_event(event_id)
    except DomainError as error:
        fail(error)
        raise


@bp.get("/safeguarding-week/events/<int:event_id>/calendar.ics")
def event_ics(event_id: int):
    event = _public_event(event_id)
    body = ics.feed_ics([event.session], base_url=current_app.config["BASE_URL"].rstrip("/"), now=utcnow(),
                        name=event.title)
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="safeguarding-week-event-{event.id}.ics"'})


@bp.route("/safeguarding-week/events/<int:event_id>/register", methods=["GET", "POST"])
def register(event_id: int):
    event = _public_event(event_id)
    now = utcnow()
    form = RegisterForm()
    status = 200
    problem = services.public_problem(event, now)
    if problem is None and form.validate_on_submit():
        if (form.website.data or "").strip():
            # Only a bot fills the hidden field: answer as if it worked and keep nothing.
            return render_template("programmes/week/registered.html", event=event, registration=None,
                                   email=(form.email.data or "").strip(), again=False)
        try:
            services.count_attempt(client_address(), now=now)
            db.session.commit()
        except services.TooManyAttempts as error:
            db.session.rollback()
            apply_domain_error(form, error, "email")
            return render_template("programmes/week/register.html", event=event, form=form, problem=None), 429
        done, result = attempt(form, lambda: services.register(event, form.name.data, form.email.data, now=now),
                               default_field="email")
        if done:
            registration, created = result
            return render_template("programmes/week/registered.html", event=event, registration=registration,
                                   email=registration.email, again=not created,
                                   position=services.waiting_position(registration))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("programmes/week/register.html", event=event, form=form, problem=problem,
                           place=services.availability([event], now=now)[event.id]), status


def _registration(token: str):
    try:
        return services.registration_for_token(token)
    except DomainError as error:
        fail(error)
        raise


@bp.get("/safeguarding-week/registration/<token>")
def registration(token: str):
    found = _registration(token)
    return _registration_page(found, token)


def _registration_page(found, token, *, confirm_form=None, cancel_form=None, status=200):
    return render_template(
        "programmes/week/registration.html", registration=found, event=found.event, token=token,
        confirm_form=confirm_form or ConfirmForm(), cancel_form=cancel_form or CancelForm(),
        position=services.waiting_position(found), form=confirm_form if confirm_form and confirm_form.errors else cancel_form,
    ), status


@bp.post("/safeguarding-week/registration/<token>/confirm")
def registration_confirm(token: str):
    found = _registration(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        done, _ = attempt(form, lambda: services.confirm(found, now=utcnow()), default_field="confirm")
        if done:
            flash("Your place is confirmed" if found.status == "confirmed" else "Your email address is confirmed",
                  "success")
            return redirect(url_for("programmes.week.registration", token=token))
    return _registration_page(found, token, confirm_form=form, status=400)


@bp.post("/safeguarding-week/registration/<token>/cancel")
def registration_cancel(token: str):
    found = _registration(token)
    form = CancelForm()
    if form.validate_on_submit():
        done, _ = attempt(form, lambda: services.cancel(found, now=utcnow()), default_field="cancel")
        if done:
            flash("Your registration is cancelled", "success")
            return redirect(url_for("programmes.week.registration", token=token))
    return _registration_page(found, token, cancel_form=form, status=400)


# --- admin ---------------------------------------------------------------------------------


@bp.get("/admin/safeguarding-weeks")
@admin_required
def admin_index():
    return render_template("programmes/week/admin_index.html", weeks=services.weeks())


@bp.route("/admin/safeguarding-weeks/new", methods=["GET", "POST"])
@admin_required
def admin_new():
    form = WeekForm()
    if form.validate_on_submit():
        details = services.WeekForm(
            title=form.title.data, theme=form.theme.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
            lead_boards=(form.lead_boards.data or "").splitlines(), description=form.description.data,
        )
        done, week = attempt(form, lambda: services.create_week(details, actor=actor(), now=utcnow()),
                             default_field="title")
        if done:
            flash(f"{week.title} added", "success")
            return redirect(url_for("programmes.week.admin_week", programme_id=week.id))
    return render_template("programmes/week/admin_week_form.html", form=form), 400 if form.errors else 200


def _admin_week(programme_id: int):
    try:
        return services.get_week(programme_id)
    except DomainError as error:
        fail(error)
        raise


@bp.get("/admin/safeguarding-weeks/<int:programme_id>")
@admin_required
def admin_week(programme_id: int):
    week = _admin_week(programme_id)
    events = services.events_of(week)
    return render_template(
        "programmes/week/admin_week.html", programme=week, details=services.details_of(week), events=events,
        places=services.availability(events, now=utcnow()), engagement=services.engagement_of(events),
        measures=ENGAGEMENT_MEASURES,
    )


def _organisation_choices():
    rows = db.session.execute(db.select(Organisation.id, Organisation.name).order_by(Organisation.name))
    return [SelectChoice("", "Choose the organisation")] + [SelectChoice(row.id, row.name) for row in rows]


@bp.route("/admin/safeguarding-weeks/<int:programme_id>/events/new", methods=["GET", "POST"])
@admin_required
def admin_new_event(programme_id: int):
    week = _admin_week(programme_id)
    form = EventForm()
    form.organiser_id.choices = _organisation_choices()
    if request.method == "GET" and form.day.data is None:
        form.day.data = week.starts_on
    if form.validate_on_submit():
        try:
            starts_at = london_to_utc(form.day.data, form.start_time.data)
            ends_at = london_to_utc(form.day.data, form.end_time.data)
        except ClockChangeError as error:
            form.start_time.errors = [str(error)]
        else:
            if ends_at <= starts_at:
                form.end_time.errors = ["The end time must be after the start time"]
            else:
                details = services.EventForm(
                    title=form.title.data, description=form.description.data, kind=form.kind.data,
                    audience=form.audience.data, organiser_id=form.organiser_id.data, starts_at=starts_at,
                    ends_at=ends_at, drop_in=form.drop_in.data, capacity=form.capacity.data,
                    location_kind=form.location_kind.data or "in-person", venue_name=form.venue_name.data,
                    venue_address=form.venue_address.data, venue_postcode=form.venue_postcode.data,
                    joining_url=form.joining_url.data,
                )
                done, event = attempt(form, lambda: services.create_event(week, details, actor=actor(), now=utcnow()),
                                      default_field="title")
                if done:
                    flash(f"{event.title} added to {week.title}", "success")
                    return redirect(url_for("programmes.week.admin_week", programme_id=week.id))
    return render_template("programmes/week/admin_event_form.html", form=form, programme=week), \
        400 if form.errors else 200


@bp.route("/admin/safeguarding-weeks/events/<int:event_id>/engagement", methods=["GET", "POST"])
@admin_required
def admin_engagement(event_id: int):
    event = _public_event(event_id)
    current = services.engagement_of([event])[event.id]
    form = engagement_form(request.form if request.method == "POST" else None, current)
    if request.method == "POST" and form.validate():
        counts = {code: getattr(form, code.replace("-", "_")).data for code in ENGAGEMENT_MEASURES}
        done, _ = attempt(form, lambda: services.record_engagement(event, counts, actor=actor(), now=utcnow()))
        if done:
            flash(f"Engagement at {event.title} saved", "success")
            return redirect(url_for("programmes.week.admin_week", programme_id=event.programme_id))
    fields = [getattr(form, code.replace("-", "_")) for code in ENGAGEMENT_MEASURES]
    return render_template("programmes/week/admin_engagement.html", form=form, fields=fields, event=event), \
        400 if form.errors else 200

