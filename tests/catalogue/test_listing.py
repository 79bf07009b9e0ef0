"""The catalogue list page: 20 courses a page with GOV.UK pagination, filters kept from
page to page, the filter form's controls, and a fixed number of SQL statements."""
from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from lms.catalogue import services
from lms.catalogue.models import Course
from lms.extensions import db
from lms.organisations.models import JobRole, Sector
from tests import factories
from tests.conftest import NOW

PER_PAGE = services.CATALOGUE_PAGE_SIZE


def course(code, title, mode="face-to-face", level=1, sectors=(), roles=(), active=True):
    row = Course(
        code=code, title=title, summary=f"About {title}.", learning_outcomes=["Know it."], delivery_mode=mode,
        cpd_hours=Decimal("1.5"), level=level, requirement_codes=[], active=active, created_at=NOW, updated_at=NOW,
    )
    row.audience_sectors = [db.session.scalar(select(Sector).where(Sector.code == s)) for s in sectors]
    row.audience_roles = [factories.job_role(r) for r in roles]
    db.session.add(row)
    return row


def many_courses(count, **kwargs):
    """`count` courses titled "Course 01", "Course 02" ... (so their order is known)."""
    for n in range(1, count + 1):
        course(f"C{n:02d}", f"Course {n:02d}", **kwargs)
    db.session.commit()


LISTED = re.compile(r'<h3 class="govuk-heading-s[^"]*"><a class="govuk-link" href="/courses/([^"]+)">')


def listed(html: str) -> list[str]:
    """The codes of the courses listed, in order."""
    return LISTED.findall(html)


class _Pagination(HTMLParser):
    """The links inside the GOV.UK pagination <nav>: (text, href, aria-current)."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.label = None
        self.links: list[dict] = []
        self._link = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and "govuk-pagination" in (attrs.get("class") or ""):
            self.depth, self.label = 1, attrs.get("aria-label")
        elif self.depth and tag == "nav":
            self.depth += 1
        elif self.depth and tag == "a":
            self._link = {"href": attrs["href"], "current": attrs.get("aria-current") == "page", "text": ""}

    def handle_endtag(self, tag):
        if self.depth and tag == "nav":
            self.depth -= 1
        elif self._link is not None and tag == "a":
            self._link["text"] = " ".join(self._link["text"].split())
            self.links.append(self._link)
            self._link = None

    def handle_data(self, data):
        if self._link is not None:
            self._link["text"] += data


def pagination(html: str) -> _Pagination:
    parser = _Pagination()
    parser.feed(html)
    return parser


def link_args(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)  # the parser has already unescaped it


def test_twenty_courses_a_page_in_title_order_with_gov_uk_pagination(client):
    many_courses(45)
    first = client.get("/courses").data.decode()
    assert listed(first) == [f"C{n:02d}" for n in range(1, 21)]
    assert ">45 courses</h2>" in first and "Showing 1 to 20 of 45 courses" in first
    assert "<title>Courses (page 1 of 3) – " in first

    nav = pagination(first)
    assert nav.label == "Course pages"
    numbers = [link for link in nav.links if link["text"].isdigit()]
    assert [link["text"] for link in numbers] == ["1", "2", "3"]
    assert [link["current"] for link in numbers] == [True, False, False]
    assert not any(link["text"].startswith("Previous") for link in nav.links)
    next_link = next(link for link in nav.links if link["text"].startswith("Next"))
    assert link_args(next_link["href"]) == {"page": ["2"]}

    last = client.get("/courses?page=3").data.decode()
    assert listed(last) == [f"C{n:02d}" for n in range(41, 46)]
    assert "Showing 41 to 45 of 45 courses" in last and "<title>Courses (page 3 of 3) – " in last
    nav = pagination(last)
    assert [link["text"] for link in nav.links if link["current"]] == ["3"]
    assert any(link["text"].startswith("Previous") for link in nav.links)
    assert not any(link["text"].startswith("Next") for link in nav.links)


def test_every_course_is_on_exactly_one_page_even_with_repeated_titles(client):
    # 41 courses with one title: only the order by id keeps the pages apart.
    for n in range(41):
        course(f"SAME{n:02d}", "Safeguarding basics")
    db.session.commit()
    seen = []
    for page in (1, 2, 3):
        seen += listed(client.get(f"/courses?page={page}").data.decode())
    assert sorted(seen) == sorted(f"SAME{n:02d}" for n in range(41))


def test_a_page_out_of_range_or_not_a_number(client):
    many_courses(25)
    assert listed(client.get("/courses?page=99").data.decode()) == [f"C{n:02d}" for n in range(21, 26)]
    for bad in ("0", "-1", "abc", "", "1.5", "²", "99999999999999999999"):
        assert listed(client.get(f"/courses?page={bad}").data.decode())[:1] == ["C01"], bad


def test_one_page_needs_no_pagination(client):
    many_courses(PER_PAGE)
    html = client.get("/courses").data.decode()
    assert len(listed(html)) == PER_PAGE
    assert "govuk-pagination" not in html and "Showing" not in html


def test_filters_are_kept_across_pages(client):
    many_courses(30, mode="twilight", level=3, sectors=["education"])
    for n in range(10):  # the same level, another mode: never listed
        course(f"F{n:02d}", f"Face {n:02d}", level=3)
    db.session.commit()
    first = client.get("/courses?mode=twilight&level=3&sector=education&keyword=course").data.decode()
    assert ">30 courses found</h2>" in first
    assert listed(first) == [f"C{n:02d}" for n in range(1, 21)]
    links = pagination(first).links
    page_two = next(link for link in links if link["text"] == "2")
    expected = {"mode": ["twilight"], "level": ["3"], "sector": ["education"], "keyword": ["course"], "page": ["2"]}
    assert link_args(page_two["href"]) == expected
    assert page_two["href"].endswith("#results")
    second = client.get(page_two["href"].split("#")[0]).data.decode()
    assert listed(second) == [f"C{n:02d}" for n in range(21, 31)]
    # The form shows the filters on every page; "Apply filters" starts again at page 1.
    assert 'value="twilight" checked' in second and 'value="3" checked' in second
    assert '<option value="education" selected>' in second and 'value="course"' in second
    assert 'name="page"' not in second


def test_the_filter_form_is_accessible_gov_uk_markup(client):
    inactive = factories.job_role("other")
    inactive.active = False
    db.session.commit()
    html = client.get("/courses?mode=virtual&mode=event&level=2&job_role=teacher&keyword=a%22b").data.decode()
    # Each group of checkboxes is a fieldset with a legend; every control has a label.
    for legend in ("How it is delivered", "Level"):
        assert re.search(r'<fieldset class="govuk-fieldset">\s*<legend class="govuk-fieldset__legend '
                         rf'govuk-fieldset__legend--s">{legend}</legend>', html)
    ids = re.findall(r'<(?:input|select) class="govuk-(?:input|checkboxes__input|select)[^"]*" id="([^"]+)"', html)
    assert len(ids) == 1 + 6 + 3 + 2 and len(set(ids)) == len(ids)
    labelled = re.findall(r'<label class="govuk-label[^"]*" for="([^"]+)">[^<]+</label>', html)
    assert sorted(labelled) == sorted(ids)
    assert re.findall(r'value="([^"]+)" checked', html) == ["virtual", "event", "2"]
    assert '<option value="teacher" selected>Teacher</option>' in html
    assert 'value="a&#34;b"' in html  # the keyword is escaped
    # The public sector is not offered; nor is a job role that is no longer used.
    assert 'value="public"' not in html and 'value="other"' not in html
    assert '<option value="education">Education</option>' in html
    assert 'class="govuk-button govuk-button--secondary"' in html and ">Apply filters</button>" in html
    assert "Clear filters" in html
    assert "Clear filters" not in client.get("/courses").data.decode()


def test_job_role_filter_and_audience_shown(client):
    course("T", "For teachers", roles=["teacher"], sectors=["health", "education"])
    course("G", "For governors", roles=["governor"])
    course("E", "For everyone")
    db.session.commit()
    html = client.get("/courses?job_role=teacher").data.decode()
    assert sorted(listed(html)) == ["E", "T"]
    # Sectors are shown in their own order (education before health), not as stored.
    assert "For Education, Health" in html
    assert sorted(listed(client.get("/courses?job_role=governor").data.decode())) == ["E", "G"]


def test_keyword_wildcards_are_matched_as_themselves(client):
    course("P", "100% attendance")
    course("U", "Under_score")
    course("X", "Plain")
    db.session.commit()
    assert listed(client.get("/courses?keyword=%25").data.decode()) == ["P"]
    assert listed(client.get("/courses?keyword=_").data.decode()) == ["U"]
    assert listed(client.get("/courses?keyword=/").data.decode()) == []


def test_statements_are_the_same_whatever_the_page_filters_or_courses(client, count_queries):
    def statements(path):
        with count_queries() as counted:
            response = client.get(path)
        assert response.status_code == 200
        return len(counted)

    course("ONE", "Only course")
    db.session.commit()
    baseline = statements("/courses")
    many_courses(60, sectors=["education", "health"], roles=["teacher"])
    paths = [
        "/courses", "/courses?page=2", "/courses?page=4", "/courses?page=99",
        "/courses?keyword=course&mode=face-to-face&mode=virtual&level=1&level=2&sector=education&job_role=teacher",
        "/courses?keyword=nothing-matches", "/courses?sector=health&page=3",
    ]
    assert {path: statements(path) for path in paths} == {path: baseline for path in paths}

    # Signed in, the page runs the same number again on every page (plus the session's own).
    factories.sign_in(client, factories.user())
    db.session.commit()
    statements("/courses")
    signed_in = {path: statements(path) for path in paths}
    assert len(set(signed_in.values())) == 1, signed_in


def test_retired_courses_are_not_counted(client):
    many_courses(21)
    db.session.execute(update(Course).where(Course.code == "C21").values(active=False))
    db.session.commit()
    html = client.get("/courses").data.decode()
    assert ">20 courses</h2>" in html and "govuk-pagination" not in html


def test_catalogue_listing_service(count_queries):
    many_courses(23, sectors=["health", "education"])
    course("ZZ", "Zebra", mode="elearning", level=2, sectors=["public"])
    db.session.commit()
    with count_queries() as counted:
        listing = services.catalogue_listing(services.CourseFilters(), page=2, per_page=10)
    assert len(counted) == 3
    page = listing.page
    assert (page.total, page.page, page.pages, page.first_index, page.last_index) == (24, 2, 3, 11, 20)
    assert [item.code for item in page.items] == [f"C{n:02d}" for n in range(11, 21)]
    # Sectors in their display order, whatever order they were stored in.
    assert page.items[0].audience == ("Education", "Health") and page.items[0].level_name == "Awareness"
    db.session.execute(update(Sector).where(Sector.code == "education").values(position=99))
    first = services.catalogue_listing(services.CourseFilters(), per_page=1).page.items[0]
    assert first.audience == ("Health", "Education")
    db.session.rollback()
    only = services.catalogue_listing(services.CourseFilters(modes=["elearning"], levels=[2]), page=5).page
    assert (only.total, only.page, [item.code for item in only.items]) == (1, 1, ["ZZ"])
    public = db.session.scalar(select(Sector.name).where(Sector.code == "public"))
    assert only.items[0].audience == (public,)  # listed, though not offered as a filter
    none = services.catalogue_listing(services.CourseFilters(keyword="no such course")).page
    assert (none.total, none.page, none.pages, none.items) == (0, 1, 1, [])
    # The API's query takes the same filters.
    api = db.session.scalars(services.list_courses(services.CourseFilters(modes=["elearning"], levels=[2]))).all()
    assert [c.code for c in api] == ["ZZ"]
    roles = db.session.scalars(select(JobRole.code).where(JobRole.active.is_(True)).order_by(JobRole.position)).all()
    assert [option.code for option in listing.job_roles] == roles
    sectors = db.session.scalars(select(Sector.code).where(Sector.code != "public").order_by(Sector.position)).all()
    assert [option.code for option in listing.sectors] == sectors


def test_many_pages_are_linked_with_ellipses(client):
    many_courses(20 * 7 + 1)  # 8 pages
    nav = pagination(client.get("/courses?page=5").data.decode())
    assert [link["text"] for link in nav.links if link["text"].isdigit()] == ["1", "3", "4", "5", "6", "7", "8"]
    html = client.get("/courses").data.decode()
    assert [link["text"] for link in pagination(html).links if link["text"].isdigit()] == ["1", "2", "3", "8"]
    assert html.count("govuk-pagination__item--ellipsis") == 1


@pytest.mark.browser
def test_filter_and_page_through_in_a_browser(page, axe):
    many_courses(30, mode="virtual", level=2)
    for n in range(5):  # another mode: filtered out
        course(f"F{n:02d}", f"Face {n:02d}")
    db.session.commit()
    page.goto("/courses")
    axe(page)
    page.get_by_label("Virtual").check()
    page.get_by_label("Level 2: Practitioner").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/courses?*mode=virtual*")
    assert page.get_by_role("heading", name="30 courses found").is_visible()
    navigation = page.get_by_role("navigation", name="Course pages")
    navigation.get_by_role("link", name="Next").click()
    page.wait_for_url("**page=2*")
    assert "mode=virtual" in page.url and "level=2" in page.url
    assert page.get_by_label("Virtual").is_checked() and page.get_by_label("Level 2: Practitioner").is_checked()
    assert page.get_by_role("link", name="Course 21").is_visible()
    assert page.get_by_role("link", name="Face 00").count() == 0
    axe(page)
