"""Charges for no-shows and late cancellations: rates per organisation type and the report.

Partnership admins only. The rates page is one form of every organisation type, by
sector, in pounds, with the day the charges apply from, and the dated changes below it;
the report is a GET form of two dates with a table per organisation
and a CSV of every chargeable event for invoicing. The rules are in charges/services.py,
the rates form in charges/forms.py.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for

from lms.audit import services as audit
from lms.bookings.charges import services as charges
from lms.bookings.charges.forms import rates_form
from lms.core import auth
from lms.core.auth import admin_required
from lms.core.errors import DomainError
from lms.core.forms import fail, read_period
from lms.core.tables import attachment
from lms.core.time import format_date, london_today, utcnow
from lms.extensions import db

bp = Blueprint("charges", __name__, url_prefix="/admin/charges", template_folder="templates")


# --- pages -------------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@admin_required
def rates():
    now = utcnow()
    today = london_today(now)
    current = charges.list_rates(today)
    form = rates_form(current, formdata=request.form if request.method == "POST" else None, today=today)
    if request.method == "POST" and form.validate():
        applies_from = form.applies_from.data
        try:
            changed = charges.set_rates(form.changes(), applies_from=applies_from, actor=auth.actor(), now=now)
        except DomainError as error:
            fail(error, form)
        else:
            db.session.commit()
            if changed:
                flash(f"Charges saved for {changed} organisation type{'s' if changed != 1 else ''}, for sessions "
                      f"from {format_date(applies_from)}", "success")
            else:
                flash("Charges saved: nothing had changed", "success")
            return redirect(url_for("bookings.charges.rates"))
    return render_template(
        "bookings/charges/rates.html",
        form=form,
        groups=charges.group_by_sector(current),
        changes=charges.rate_changes(),
        today=today,
        earliest=charges.EARLIEST_APPLIES_FROM,
        pounds=charges.pounds,
        max_pounds=charges.pounds(charges.MAX_CHARGE_PENCE),
    ), 400 if form.errors else 200


@bp.get("/report")
@admin_required
def report():
    now = utcnow()
    form, valid = read_period(request.args, london_today(now))
    result = None
    if valid:
        try:
            result = charges.charge_report(form.start.data, form.end.data)
        except DomainError as error:
            fail(error, form, default_field="start")
            valid = False
    if valid and request.args.get("format") == "csv":
        return _csv(result, now)
    period = form.as_args() if valid else {}
    return render_template(
        "bookings/charges/report.html",
        form=form,
        report=result,
        csv_url=url_for("bookings.charges.report", format="csv", **period) if valid else None,
        pounds=charges.pounds,
    ), 200 if valid else 400


def _csv(result: charges.ChargeReport, now: datetime):
    audit.record(
        auth.actor(), "charges.export", now=now,
        summary=f"Downloaded the charges report for {result.start.isoformat()} to {result.end.isoformat()} "
                f"({len(result.events)} event{'s' if len(result.events) != 1 else ''})",
        after={"from": result.start, "to": result.end, "events": len(result.events)},
    )
    db.session.commit()
    return attachment(charges.report_csv(result), "csv",
                      f"charges-{result.start.isoformat()}-to-{result.end.isoformat()}.csv")
