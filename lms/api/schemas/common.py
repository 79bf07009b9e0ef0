"""Shared by every resource: field helpers, the error shape and the list envelopes."""
from __future__ import annotations

from marshmallow import fields
from marshmallow.validate import OneOf

from lms.api.fields import Shape, described

ERROR_CODES = ["bad-request", "unauthorized", "forbidden", "not-found", "method-not-allowed", "conflict",
               "unprocessable-entity", "server-error"]


def choice(values, description: str | None = None, **kwargs) -> fields.String:
    """Text that is one of `values` (documented as an enum)."""
    return fields.String(validate=OneOf(list(values)), **described(description), **kwargs)


def text(description: str | None = None, **kwargs) -> fields.String:
    return fields.String(**described(description), **kwargs)


def url(description: str | None = None) -> fields.String:
    return fields.String(**described(description, format="uri"))


def day(description: str | None = None, **kwargs) -> fields.Date:
    return fields.Date(**described(description), **kwargs)


def texts(description: str | None = None) -> fields.List:
    return fields.List(fields.String(), **described(description))


def listed(values) -> list:
    return list(values or [])


class FieldError(Shape):
    field = text("The parameter or field the message is about.")
    message = text("What is wrong, and how to put it right.")


class Error(Shape):
    class Meta:
        description = "Every error from the API has this shape."
        optional = ("errors",)

    error = choice(ERROR_CODES, "The HTTP status name in lower case with hyphens.")
    message = text("A sentence for people.")
    errors = fields.List(fields.Nested(FieldError), **described("One entry per bad parameter or field, when relevant."))


# --- lists --------------------------------------------------------------------------------

class Page(Shape):
    page = fields.Integer(**described("This page's number, from 1.", minimum=1))
    per_page = fields.Integer(**described("Items per page.", minimum=1))
    total = fields.Integer(**described("Items on every page together.", minimum=0))
    next = fields.String(allow_none=True, **described("The URL of the next page; null on the last page.", format="uri"))


def page_of(item: type[Shape], name: str | None = None, base: type[Shape] = Page, **extra) -> type[Shape]:
    """The list envelope of `item`: {"items": [...], "page", "per_page", "total", "next"}."""
    meta = type("Meta", (), {"description": f"One page of {item.__name__} items."})
    attributes = {"Meta": meta, "items": fields.List(fields.Nested(item)), **extra}
    return type(name or f"{item.__name__}Page", (base,), attributes)


def list_of(item: type[Shape], name: str) -> type[Shape]:
    """Every item, not paged: {"items": [...]}."""
    meta = type("Meta", (), {"description": f"Every {item.__name__}."})
    return type(name, (Shape,), {"Meta": meta, "items": fields.List(fields.Nested(item))})
