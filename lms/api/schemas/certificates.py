"""Certificates: the status of one by its code (what /verify shows), and the caller's own."""
from __future__ import annotations

from marshmallow import fields

from lms.api.fields import Hours, Shape, described
from lms.api.schemas.common import choice, day, page_of, text, url
from lms.catalogue.models import DELIVERY_MODES
from lms.certificates import services as certificates
from lms.core.time import to_london
from lms.core.urls import external_url


class CertificateStatus(Shape):
    """Shapes With(certificate, today=...): what anyone checking the code may know,
    nothing personal beyond the name and the course."""

    class Meta:
        description = "A certificate as anyone checking its code sees it (the same as /verify)."

    code = fields.String(attribute="display_code", **described(
        "The verification code as printed, in groups of four.", example="7KQ2-M9XD-4TWB-H3RA"))
    status = choice(["valid", "expired", "revoked"], "valid; expired (its refresh date has passed); revoked "
                                                     "(withdrawn, or replaced by a reissued one).")
    holder_name = text("The holder's name as issued; a later change of name does not alter it.")
    course_title = text("The training's title as issued.")
    completed_on = day()
    cpd_hours = Hours()
    issued_on = day()
    refresh_due_on = day("The date to take the training again by; null: no refresh date.", allow_none=True)
    revoked_on = day(allow_none=True)
    provider = text("Who provided the training.")
    verify_url = url("The public page that shows the same answer.")

    def status_of(self, certificate) -> str:
        return certificate.status_on(certificate.today)

    def issued_on_of(self, certificate):
        return to_london(certificate.issued_at).date()

    def revoked_on_of(self, certificate):
        return to_london(certificate.revoked_at).date() if certificate.revoked_at else None

    def verify_url_of(self, certificate) -> str:
        return certificates.verify_url(certificate)


class MyCertificate(CertificateStatus):
    class Meta:
        description = "One of the caller's certificates."

    course = text("The course's code.", attribute="course_code", allow_none=True)
    delivery_mode = choice(DELIVERY_MODES)
    pdf_url = url("The PDF, for the signed-in holder.")

    def pdf_url_of(self, certificate) -> str:
        return external_url("certificates.download", code=certificate.code)


MyCertificatePage = page_of(MyCertificate)
