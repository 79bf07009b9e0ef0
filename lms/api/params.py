"""Reading query parameters and paging list results.

Bad parameters are a 400 naming the parameter. Lists come in one envelope:
{"items": [...], "page": n, "per_page": n, "total": n, "next": url or null}.
"""
from __future__ import annotations

from datetime import date
from typing import Callable

from flask import current_app, request, url_for
from sqlalchemy import Select, func, select

from lms.api.errors import InvalidParameter
from lms.extensions import db

MAX_TEXT_LENGTH = 200
MAX_PAGE = 1_000_000


def text_arg(name: str, *, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    value = request.args.get(name)
    if value is None:
        return None
    value = value.strip()
    if len(value) > max_length:
        raise InvalidParameter(name, f"{name} must be {max_length} characters or fewer")
    return value or None


def int_arg(
    name: str, *, default: int | None = None, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return default
    raw = raw.strip()
    if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 12:
        raise InvalidParameter(name, f"{name} must be a whole number, like 2")
    value = int(raw)
    if minimum is not None and value < minimum:
        if maximum is not None:
            raise InvalidParameter(name, f"{name} must be between {minimum} and {maximum}")
        raise InvalidParameter(name, f"{name} must be {minimum} or more")
    if maximum is not None and value > maximum:
        raise InvalidParameter(name, f"{name} must be between {minimum if minimum is not None else 0} and {maximum}")
    return value


def date_arg(name: str) -> date | None:
    """A date written YYYY-MM-DD (a real date), or None when absent."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        if len(raw.strip()) != 10:
            raise ValueError
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidParameter(name, f"{name} must be a real date written YYYY-MM-DD, like 2026-09-11") from None


def bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().lower()
    if value in {"true", "1", "yes"}:
        return True
    if value in {"false", "0", "no"}:
        return False
    raise InvalidParameter(name, f"{name} must be true or false")


def page_args() -> tuple[int, int]:
    config = current_app.config
    page = int_arg("page", default=1, minimum=1, maximum=MAX_PAGE)
    per_page = int_arg("per_page", default=config["API_PAGE_SIZE"], minimum=1, maximum=config["API_MAX_PAGE_SIZE"])
    return page, per_page


def paginate(query: Select, serialise: Callable, *, many: bool = False) -> dict:
    """One page of `query` (a select of one entity) in the list envelope.

    Two statements whatever the page size (a count and the page), plus any eager loads
    the query asks for. With `many`, `serialise` takes the page's rows as a list (for
    work done once per page, such as computing statuses in bulk)."""
    page, per_page = page_args()
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    next_url = None
    if page * per_page < total:
        args = request.args.to_dict()
        args["page"] = page + 1
        args["per_page"] = per_page
        next_url = url_for(request.endpoint, **(request.view_args or {}), **args, _external=True)
    return {
        "items": serialise(list(rows)) if many else [serialise(row) for row in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
        "next": next_url,
    }
