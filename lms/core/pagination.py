"""One page of a list, for the pages that show results 20, 25 or 50 at a time, and the
links between pages."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import ceil

from sqlalchemy import func, select

from lms.core.urls import url_for_each
from lms.extensions import db


@dataclass
class Page:
    """One page of a query's results."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)

    def govuk_pagination(self, href, *, label: str) -> dict | None:
        """Parameters for the GOV.UK pagination component: the first and last pages and
        up to two either side of this one, with ellipses between. `href(number)` makes a
        page's link (keeping the filters). None when everything fits on one page."""
        if self.pages <= 1:
            return None
        items: list[dict] = []
        for number in range(1, self.pages + 1):
            if number in (1, self.pages) or abs(number - self.page) <= 2:
                items.append({"number": number, "href": href(number), "current": number == self.page})
            elif abs(number - self.page) == 3:
                items.append({"ellipsis": True})
        return {
            "items": items,
            "previous": {"href": href(self.page - 1)} if self.has_previous else None,
            "next": {"href": href(self.page + 1)} if self.has_next else None,
            "landmarkLabel": label,
        }


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows make, `per_page` a page (at least one, empty or not)."""
    return max(1, ceil(total / per_page))


def clamp_page(page: int, total: int, per_page: int) -> int:
    """The page asked for, kept between the first and the last: a page past the end shows
    the last page."""
    return min(max(1, page), page_count(total, per_page))


def page_href(endpoint: str, args: dict | None = None, *, anchor: str | None = None) -> Callable[[int], str]:
    """A function giving the link to page `number` of `endpoint`, keeping `args` (the
    filters), for Page.govuk_pagination."""
    values = {key: value for key, value in (args or {}).items() if key != "page"}
    if anchor:
        values["_anchor"] = anchor
    return url_for_each(endpoint, "page", **values)


def paginate(query, *, page: int = 1, per_page: int = 25, rows: bool = False) -> Page:
    """One page of a select's results, over Flask-SQLAlchemy's db.paginate: two statements
    whatever the page size (the count and the page, plus one per eager-loaded collection).
    A page before the first shows the first; a page past the end shows the last (a third
    statement, only then). db.paginate gives the first column of each row (ORM objects);
    with `rows=True` the page holds whole rows (several columns, aggregates), counted and
    read the same way."""
    per_page = max(1, per_page)
    if rows:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        number = clamp_page(page, total, per_page)
        items = db.session.execute(query.limit(per_page).offset((number - 1) * per_page)).all()
        return Page(items=list(items), total=total, page=number, per_page=per_page)
    pager = db.paginate(query, page=max(1, page), per_page=per_page, error_out=False)
    if pager.page > 1 and pager.page > page_count(pager.total or 0, per_page):
        pager = db.paginate(query, page=page_count(pager.total or 0, per_page), per_page=per_page, error_out=False)
    return Page(items=list(pager.items), total=pager.total or 0, page=pager.page, per_page=per_page)
