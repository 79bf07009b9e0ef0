"""The demo partnership's own details (what an admin sets at /admin/partnership): its name
in the header and emails, contacts, the data protection officer and the certificates'
signatory, so the demo reads as Hartmoor's service throughout."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from lms.extensions import db
from lms.partnership import services as partnership
from lms.partnership.models import PartnershipSettings

DETAILS = {
    "name": "Hartmoor Borough Safeguarding Children Partnership",
    "service_name": "Hartmoor Safeguarding Training",
    "contact_email": "training@hartmoor-scp.example",
    "contact_phone": "01632 960 410",
    "postal_address": "Hartmoor Borough Safeguarding Children Partnership\nCivic Centre, Market Street\nHartmoor HM1 2AB",
    "dpo_name": "Information Governance Team, Hartmoor Borough Council",
    "dpo_email": "dpo@hartmoor.example",
    "ico_registration": "Z0000000",
    "signatory_name": "Jo Ellison",
    "signatory_role": "Partnership Business Manager",
    "accessibility_email": "training@hartmoor-scp.example",
}


def add_demo_partnership_details(now: datetime) -> bool:
    """Set the details once (never over an admin's own). Flushes only; True if set."""
    if db.session.scalar(select(PartnershipSettings.id)) is not None:
        return False
    db.session.add(PartnershipSettings(**DETAILS, updated_at=now))
    db.session.flush()
    partnership.forget()
    return True
