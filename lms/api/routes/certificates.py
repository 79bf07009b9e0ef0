"""Certificates: the status of one by its code (what /verify shows), and the caller's own."""
from __future__ import annotations

from flask import jsonify

from lms.api import bp
from lms.api.auth import caller
from lms.api.document import describe, path_text
from lms.api.errors import ApiError
from lms.api.fields import With, dump
from lms.api.paging import paginate
from lms.api.schemas import CertificateStatus, MyCertificatePage
from lms.certificates import services as certificates
from lms.core.time import london_today, utcnow


@bp.get("/certificates/<code>")
@describe(
    "getCertificate", "Whether a certificate is genuine and valid, by its code", tag="certificates",
    response=CertificateStatus, errors=(404,),
    path={"code": path_text("The code as printed (any case; hyphens and spaces are ignored).", 40)},
    description=(
        "Any caller may check any code, as anyone may at /verify. A revoked certificate still answers, "
        "with status `revoked`. A code that matches no certificate is a 404."
    ),
)
def certificate_by_code(code: str):
    caller()
    certificate = certificates.find_by_code(code)
    if certificate is None:
        raise ApiError(404, "No certificate has this code")
    return jsonify(dump(CertificateStatus, With(certificate, today=london_today(utcnow()))))


@bp.get("/me/certificates")
@describe("listMyCertificates", "The caller's certificates, newest first", tag="certificates",
          response=MyCertificatePage, paged=True, errors=(400,))
def my_certificates():
    actor = caller()
    today = london_today(utcnow())
    page = paginate(certificates.list_for(actor))
    page["items"] = [With(certificate, today=today) for certificate in page["items"]]
    return jsonify(dump(MyCertificatePage, page))
