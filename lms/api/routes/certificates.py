"""Certificates: the status of one by its code (what /verify shows), and the caller's own."""
from __future__ import annotations

from flask import jsonify

from lms.api import bp
from lms.api.auth import caller
from lms.api.errors import ApiError
from lms.api.params import paginate
from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.core.time import london_today, to_london, utcnow
from lms.core.urls import external_url


def certificate_status(certificate: Certificate, today) -> dict:
    """What anyone checking the code may know: nothing personal beyond name and course."""
    status = certificate.status_on(today)
    return {
        "code": certificate.display_code,
        "status": status,
        "holder_name": certificate.holder_name,
        "course_title": certificate.course_title,
        "completed_on": certificate.completed_on.isoformat(),
        "cpd_hours": float(certificate.cpd_hours),
        "issued_on": to_london(certificate.issued_at).date().isoformat(),
        "refresh_due_on": certificate.refresh_due_on.isoformat() if certificate.refresh_due_on else None,
        "revoked_on": to_london(certificate.revoked_at).date().isoformat() if certificate.revoked_at else None,
        "provider": certificate.provider,
        "verify_url": certificates.verify_url(certificate),
    }


@bp.get("/certificates/<code>")
def certificate_by_code(code: str):
    caller()
    certificate = certificates.find_by_code(code)
    if certificate is None:
        raise ApiError(404, "No certificate has this code")
    return jsonify(certificate_status(certificate, london_today(utcnow())))


@bp.get("/me/certificates")
def my_certificates():
    actor = caller()
    today = london_today(utcnow())

    def serialise(certificate: Certificate) -> dict:
        item = certificate_status(certificate, today)
        item["course"] = certificate.course_code
        item["delivery_mode"] = certificate.delivery_mode
        item["pdf_url"] = external_url("certificates.download", code=certificate.code)
        return item

    return jsonify(paginate(certificates.list_for(actor), serialise))
