"""Links: for emails and documents, built from BASE_URL so they work in jobs and the CLI
as well as in requests; and for lists of many links that differ only in one whole
number (a page, a person's id), built once with a stand-in number that is then replaced,
rather than with url_for per link."""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app, url_for

_STAND_IN = 918273645


def external_url(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    adapter = current_app.url_map.bind("localhost")
    return base + adapter.build(endpoint, values)


def url_for_each(endpoint: str, field: str, **values) -> Callable[[int], str]:
    """A function giving url_for(endpoint, **{field: number}, **values) for a whole
    `number`; `field` comes first in the query string when it is not part of the path.
    Falls back to url_for per call if the stand-in could be mistaken for part of another
    value."""
    link = url_for(endpoint, **{field: _STAND_IN}, **values)
    stand_in = str(_STAND_IN)
    if link.count(stand_in) != 1:
        return lambda number: url_for(endpoint, **{field: number}, **values)
    head, _, tail = link.partition(stand_in)
    return lambda number: f"{head}{int(number)}{tail}"
