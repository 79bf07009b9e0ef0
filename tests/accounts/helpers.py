import re

from sqlalchemy import select

from lms.extensions import db
from lms.notifications.models import OutboundEmail


def outbox(to: str | None = None) -> list[OutboundEmail]:
    query = select(OutboundEmail).order_by(OutboundEmail.id)
    if to:
        query = query.where(OutboundEmail.to_address == to)
    return list(db.session.scalars(query))


def link_in(email: OutboundEmail) -> str:
    match = re.search(r"http://localhost(/\S+)", email.body_text)
    assert match, email.body_text
    return match.group(1)
