"""Charges for no-shows and late cancellations: rates per organisation type and the report.

Partnership admins only. The rates page is one form of every organisation type, by
sector, in pounds, with the day the charges apply from, and the dated changes below it;
the report is a GET form of two dates with a table per organisation
and a CSV of every chargeable event for invoicing. The rules are in charges.py; the two
small forms live here because only these pages use them.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovSubmitInput, GovTextInput
from wtforms import Field, SubmitField, ValidationError

from lms.audit import services as audit
from lms.bookings import charges
from lms.core.auth import admin_required
from lms.core.errors import DomainError
from lms.core.forms import GovDateField, apply_domain_error, read_period
from lms.core.time import format_date, london_today, utcnow
from lms.extensions import db

bp = Blueprint("charges", __name__, url_prefix="/admin/charges", template_folder="templates")


# --- forms -------------------------------------------------------------------------------


class PoundsField(Field):
    """An amount of money typed in pounds ('25', '25.50', '£25.50'), held as pence.
    Blank is no charge; a box not sent at all keeps the current charge."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, what: str = "charge", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.what = what

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return f"{(self.data or 0) / 100:.2f}"

    def process_formdata(self, valuelist):
        if not valuelist:
            return  # not sent at all: the current charge stays
        try:
            pence = charges.parse_pounds(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(f"Enter the {self.what} in pounds and pence, like 25 or 25.50") from None
        self.data = 0 if pence is None else pence


def _within_limit(form, field):
    if field.data is not None and not 0 <= field.data <= charges.MAX_CHARGE_PENCE:
        raise ValidationError(f"The {field.what} must be between £0 and £{charges.pounds(charges.MAX_CHARGE_PENCE)}")


class RatesFormBase(FlaskForm):
    applies_from = GovDateField(
        "Which sessions do these charges apply to?", widget=GovDateInput(),
        description="Sessions on or after this date, for example 1 4 2027. Sessions before it keep the charges "
                    "that applied to them.",
    )
    submit = SubmitField("Save charges", widget=GovSubmitInput())
    rates: list[charges.Rate] = []

    def validate_applies_from(self, field):
        if field.data is None and not field.errors:
            raise ValidationError("Enter the date the charges apply from")

    def fields_for(self, rate: charges.Rate):
        type_id = rate.organisation_type.id
        return self[charges.no_show_field(type_id)], self[charges.late_cancellation_field(type_id)]

    def changes(self) -> dict[int, tuple[int, int]]:
        """The types whose boxes now differ from the charges the page showed (today's):
        only those are set, so a later change already set for another type stays."""
        result = {}
        for rate in self.rates:
            no_show, late = self.fields_for(rate)
            if (no_show.data, late.data) != (rate.no_show_pence, rate.late_cancellation_pence):
                result[rate.organisation_type.id] = (no_show.data, late.data)
        return result


def rates_form(rates: list[charges.Rate], formdata=None, *, today: date) -> RatesFormBase:
    class RatesForm(RatesFormBase):
        pass

    for rate in rates:
        org_type = rate.organisation_type
        setattr(RatesForm, charges.no_show_field(org_type.id), PoundsField(
            f"No-show charge for {org_type.name}", [_within_limit],
            what=f"no-show charge for {org_type.name}", default=rate.no_show_pence,
        ))
        setattr(RatesForm, charges.late_cancellation_field(org_type.id), PoundsField(
            f"Late cancellation charge for {org_type.name}", [_within_limit],
            what=f"late cancellation charge for {org_type.name}", default=rate.late_cancellation_pence,
        ))
    RatesForm.rates = list(rates)
    return RatesForm(data={"applies_from": today}) if formdata is None else RatesForm(formdata=formdata)


# --- pages -------------------------------------------------------------------------------


def _actor():
    return current_user._get_current_object()


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
            changed = charges.set_rates(form.changes(), applies_from=applies_from, actor=_actor(), now=now)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            if changed:
                flash(f"Charges saved for {changed} organisation type{'s' if changed != 1 else ''}, for sessions "
                      f"from {format_date(applies_from)}", "success")
            else:
                flash("Charges saved: nothing had changed", "success")
            return redirect(url_for("charges.rates"))
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
            apply_domain_error(form, error, default_field="start")
            valid = False
    if valid and request.args.get("format") == "csv":
        return _csv(result, now)
    period = form.as_args() if valid else {}
    return render_template(
        "bookings/charges/report.html",
        form=form,
        report=result,
        csv_url=url_for("charges.report", format="csv", **period) if valid else None,
        pounds=charges.pounds,
    ), 200 if valid else 400


def _csv(result: charges.ChargeReport, now: datetime):
    audit.record(
        _actor(), "charges.export", now=now,
        summary=f"Downloaded the charges report for {result.start.isoformat()} to {result.end.isoformat()} "
                f"({len(result.events)} event{'s' if len(result.events) != 1 else ''})",
        after={"from": result.start, "to": result.end, "events": len(result.events)},
    )
    db.session.commit()
    response = make_response(charges.report_csv(result))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="charges-{result.start.isoformat()}-to-{result.end.isoformat()}.csv"'
    )
    return response
