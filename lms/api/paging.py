"""Paging list results: {"items": [...], "page": n, "per_page": n, "total": n, "next": url or null}.

The `page` and `per_page` parameters are read when the list is paged, after the route's own
parameters; a bad one is a 400 naming it. Their limits come from the configuration
(API_PAGE_SIZE, API_MAX_PAGE_SIZE), so their schema is made per application.
"""
from __future__ import annotations

from functools import cache

from flask import current_app, request, url_for
from marshmallow import Schema
from sqlalchemy import Select

from lms.api.fields import WholeNumber, parse
from lms.extensions import db

MAX_PAGE = 1_000_000


def page_args_schema(config) -> Schema:
    """The page and per_page parameters, with the limits in `config`."""
    return _page_args_schema(config["API_PAGE_SIZE"], config["API_MAX_PAGE_SIZE"])


@cache
def _page_args_schema(page_size: int, max_page_size: int) -> Schema:
    return Schema.from_dict({
        "page": WholeNumber(minimum=1, maximum=MAX_PAGE, default=1, description="Page number, from 1."),
        "per_page": WholeNumber(
            minimum=1, maximum=max_page_size, default=page_size, description=f"Items per page, at most {max_page_size}."
        ),
    }, name="PageArgs")()


def paginate(query: Select) -> dict:
    """One page of `query` (a select of one entity) in the list envelope, the page's rows
    as `items` for a Page schema (lms.api.schemas.page_of) to shape.

    Flask-SQLAlchemy's db.paginate: two statements whatever the page size (a count and
    the page), plus any eager loads the query asks for. Unlike the pages
    (lms.core.pagination), a page past the end is empty, not the last one."""
    args = parse(page_args_schema(current_app.config))
    page, per_page = args["page"], args["per_page"]
    pager = db.paginate(query, page=page, per_page=per_page, error_out=False)
    rows, total = pager.items, pager.total
    next_url = None
    if page * per_page < total:
        query_args = request.args.to_dict()
        query_args["page"] = page + 1
        query_args["per_page"] = per_page
        next_url = url_for(request.endpoint, **(request.view_args or {}), **query_args, _external=True)
    return {"items": list(rows), "page": page, "per_page": per_page, "total": total, "next": next_url}
