"""The kinds of prepared download, each registered by the feature that owns the document
(at app start, from create_app), so this low layer never imports the owners.

A kind has:

- `produce(params, *, actor, now, progress) -> (body, filename, content_type)`: makes the
  document, reading only (the job commits nothing the producer did), calling
  `progress(done, total, label)` as it goes ("1,200 of 2,000 people"). `body` is bytes or
  a binary file object. It re-checks access itself (raising NotFound or Forbidden), since
  the requester may have lost their role since asking.
- `can_access(actor, params) -> bool`: whether the requester may still see it, asked on the
  progress page and at download (a no there is a 404, as for anything not theirs).
- `audit(actor, params, *, now, download)`: optional; writes the audit event for fetching
  the file, as the feature's own direct download does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Protocol

from lms.accounts.services import led_organisation_ids
from lms.extensions import db
from lms.organisations.models import Organisation

Body = bytes | BinaryIO


class Progress(Protocol):
    def __call__(self, done: int, total: int, label: str | None = None) -> None: ...


@dataclass(frozen=True)
class Kind:
    name: str
    produce: Callable[..., tuple[Body, str, str]]
    can_access: Callable[[Any, dict], bool]
    audit: Callable[..., None] | None = None
    # Where the person asked for it (for the "back" link): endpoint and params -> URL values.
    source: Callable[[dict], tuple[str, dict]] | None = None


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Register (or replace, for a second app in one process) the kind called `kind.name`."""
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> Kind | None:
    return _KINDS.get(name)


def names() -> list[str]:
    return sorted(_KINDS)


def no_progress(done: int, total: int, label: str | None = None) -> None:
    """A progress callback that records nothing (a document made inside a request)."""


def led_organisation(actor, params: dict):
    """The organisation `params["organisation_id"]` names, when `actor` (open) may still see
    its documents: an admin, or one of its setting leads. Else None. For the kinds made for
    one organisation (a setting's evidence pack, its staff compliance export)."""
    if actor is None or not actor.active:
        return None
    organisation = db.session.get(Organisation, int(params.get("organisation_id") or 0))
    if organisation is None:
        return None
    if actor.is_admin or organisation.id in led_organisation_ids(actor):
        return organisation
    return None
