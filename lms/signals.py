"""The few signals that let a lower layer tell a higher one that something happened.

A feature imports from its own layer or below and reaches upward only through these.
"""
from blinker import Namespace

_signals = Namespace()

completion_recorded = _signals.signal("completion-recorded")
"""Sent by records.services.record_completion after a completion is added (flushed, not
committed). Receivers get `sender=None, completion=<Completion>, now=<datetime>` and must
only add to the same transaction (compliance status, certificates)."""

completions_recorded = _signals.signal("completions-recorded")
"""Sent by records.services.record_completions after adding many completions at once (the
history import), instead of completion_recorded for each, and after a completion's hours
are corrected or a completion is removed (a register marked again), when a lead verifies
external CPD (records.external.services.verify), and when history imported under an old
course code moves to the catalogue course it maps to (records.services.move_to_course).
Receivers get `sender=None, user_ids=<list of int>, now=<datetime>` and must only add to
the same transaction."""

organisation_regrouped = _signals.signal("organisation-regrouped")
"""Sent by organisations.services.update_organisation when an organisation's type or area
changes (flushed, not committed). Receivers get `sender=None, organisation_id=<int>,
now=<datetime>` and add to the same transaction (records refreshes the kept uptake rows
of everyone with completions there: reports count a completion under its organisation's
type and area now)."""

person_changed = _signals.signal("person-changed")
"""Sent by accounts services when a person's job roles or organisation change. Receivers
get `sender=None, user=<User>, now=<datetime>` and add to the same transaction
(compliance recomputes the person's status)."""

completion_changed = _signals.signal("completion-changed")
"""Sent by records.services.update_completion_hours after a completion's hours are
corrected (a register marked again), besides completions_recorded. Receivers get
`sender=None, completion=<Completion>, now=<datetime>` and add to the same transaction
(certificates reissue one that showed the old hours)."""

completion_removed = _signals.signal("completion-removed")
"""Sent by records.services.remove_completion just before a completion is deleted
(attendance marked by mistake, then corrected). Receivers get `sender=None,
completion=<Completion>, now=<datetime>` and add to the same transaction (certificates
revoke the one issued for it)."""

course_requirements_changed = _signals.signal("course-requirements-changed")
"""Sent by the catalogue (catalogue.services.sync_courses, catalogue.admin.services.
update_course) after what courses count towards (their requirement codes) has changed,
flushed, not committed. Receivers get `sender=None, course_ids=<list of int>,
now=<datetime>` and add to the same transaction (compliance works out again the statuses
of everyone who completed those courses)."""

evaluation_submitted = _signals.signal("evaluation-submitted")
"""Sent by evaluations.services.submit after a person's evaluation of a completed course is
added (flushed, not committed). Receivers get `sender=None, completion=<Completion>,
now=<datetime>` and add to the same transaction: certificates issues the certificate that
was waiting for the evaluation and returns it, which submit returns to its caller (so the
page can show it)."""

completion_session = _signals.signal("completion-session")
"""Asked by the consumers (certificates, evaluations), which may not import the producers,
for the training session a completion of attendance was recorded at (a certificate and an
evaluation keep it). Receivers get `sender=None, completion=<Completion>` and return the
session's id, or None when the completion is not theirs; courses.sessions answers from the
booking the register marked. Ask with session_id_of(completion)."""


def session_id_of(completion) -> int | None:
    """The id of the training session `completion` records attendance at, or None (not
    attendance, or nobody answered completion_session)."""
    for _receiver, answer in completion_session.send(None, completion=completion):
        if answer is not None:
            return answer
    return None

dormant_account_signing_in = _signals.signal("dormant-account-signing-in")
"""Sent by accounts.services.authenticate when someone whose account is dormant has given
the right email and password, before they are signed in. Receivers get `sender=None,
user=<User>, now=<datetime>` and add to the same transaction: licences brings the account
back into use (clears dormant_at) while a learner licence is free, and otherwise raises a
DomainError (on the "email" field), which refuses the sign-in."""

organisation_people = _signals.signal("organisation-people")
"""A hook the organisation admin pages (organisations.views) ask, rather than news: how
many people (open accounts) are recorded as working at each organisation, which only the
accounts feature, above organisations, can count. Receivers get `sender=None,
organisation_ids=<list of int>` and return {organisation_id: count} (accounts.admin); they
only read."""

organisation_admin_page = _signals.signal("organisation-admin-page")
"""A template hook on an organisation's admin page (organisations.views.render_organisation):
receivers get `sender=None, organisation=<Organisation>, lead_form=<form or None>` and
return HTML shown below the organisation's details (accounts.admin: its setting leads and
the form to add one, showing `lead_form` with its errors when given); they only read."""

completion_title = _signals.signal("completion-title")
"""Asked by the register (bookings.registers.services, which may not import programmes)
for the title a completion of attendance at a session should carry. Receivers get
`sender=None, session=<TrainingSession>` and return a title, or None when the session is
not theirs; programmes.twilights answers for a twilight series' sessions ("DSL network
twilight, autumn 2026: Online extremism: the school response"). Ask with
title_for_session(session); nobody answering means the course's title."""


def title_for_session(session) -> str | None:
    """The title a completion of attendance at `session` carries, or None (the course's)."""
    for _receiver, answer in completion_title.send(None, session=session):
        if answer:
            return answer
    return None

booking_problem = _signals.signal("booking-problem")
"""A hook the booking engine (bookings.services.book) asks before it books someone, before it
takes the session's lock (a receiver may take a lock of its own first, as the twilight
series takes its term's, so locks are always taken in the same order): receivers get `sender=None, session=<TrainingSession>, person=<User>,
now=<datetime>` and return why the person may not book it, or None. programmes.twilights
answers for a series' sessions: one live booking per person per term. Ask with
booking_problem_for(session, person, now=now)."""


def booking_problem_for(session, person, *, now) -> str | None:
    """The first reason a higher feature gives for refusing this booking, or None."""
    for _receiver, answer in booking_problem.send(None, session=session, person=person, now=now):
        if answer:
            return answer
    return None
places_held_elsewhere = _signals.signal("places-held-elsewhere")
"""A hook the booking engine (bookings.services.place_counts and places_taken) asks: how
many of each session's places are held outside the bookings table (Safeguarding Week's
public registrations, which have no account). Receivers get `sender=None,
session_ids=<list of int>` and return {session_id: places held}; they only read. The engine
adds the answers to the places its bookings hold, so a session is never oversold. Ask with
held_elsewhere(session_ids)."""


def held_elsewhere(session_ids: list[int]) -> dict[int, int]:
    """{session id: places held outside the bookings table} (missing ids hold none)."""
    held: dict[int, int] = {}
    if not session_ids:
        return held
    for _receiver, answer in places_held_elsewhere.send(None, session_ids=list(session_ids)):
        for session_id, count in (answer or {}).items():
            held[session_id] = held.get(session_id, 0) + count
    return held

places_freed = _signals.signal("places-freed")
"""Sent by bookings.services.fill_places, under the session's row lock, when a session has
free places while sign-up is open, before the engine offers them to its own waiting list.
Receivers get `sender=None, session=<TrainingSession>, free=<int>, queue=<list of the
queued_at of the engine's first `free` waiting bookings, in order>, now=<datetime>` and
may give places to their own waiting list (Safeguarding Week's public registrations):
first come, first served across both lists, so they take a place for each of their
waiters who joined before the engine's waiter it would otherwise go to. They return how
many places they took and add only to the same transaction. Send with
take_places_elsewhere(...)."""


def take_places_elsewhere(session, *, free: int, queue: list, now) -> int:
    """How many of `free` places the receivers of places_freed took (at most `free`)."""
    taken = 0
    for _receiver, answer in places_freed.send(None, session=session, free=free, queue=queue, now=now):
        taken += int(answer or 0)
        if taken >= free:
            return free
    return taken
