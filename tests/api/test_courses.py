"""The course catalogue through the API: list with filters, one course's detail."""
import pytest

from lms.catalogue import services as catalogue
from lms.extensions import db
from tests.api.conftest import (
    assert_matches,
    assert_no_secrets,
    bearer,
    course_sources,
    make_course,
    make_token,
    response_schema,
    secrets_of,
)


@pytest.fixture()
def catalogue_rows(courses):
    """The four shipped e-learning courses and four made in the admin pages, one retired."""
    made = {
        "DSL-NEW": make_course("DSL-NEW", "DSL new to role", level=3, hours="12", roles=("school-dsl", "deputy-dsl"),
                               sectors=("education",), requirements=("dsl-role-training",)),
        "EY-ANNEXC": make_course("EY-ANNEXC", "Early Years Safeguarding, EYFS Annex C", sectors=("early-years",),
                                 requirements=("eyfs-annex-c",)),
        "GOV": make_course("GOV", "Safeguarding for Governors", mode="virtual", hours="2", roles=("governor",),
                           requirements=("governor-training",)),
        "OLD": make_course("OLD", "An old course we no longer run", active=False),
    }
    db.session.commit()
    return {**courses, **made}


def get(client, person, path):
    return client.get(path, headers=bearer(make_token(person)))


def codes(response):
    assert response.status_code == 200, response.json
    return [item["code"] for item in response.json["items"]]


# --- the list -------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["oak_teacher", "elm_lead", "trainer", "admin"])
def test_any_caller_lists_active_courses_by_title(client, team, catalogue_rows, spec, who):
    response = get(client, team[who], "/api/v1/courses")
    assert codes(response) == ["UPDATE", "CE", "DSL-NEW", "EY-ANNEXC", "OS", "SGE", "GOV"]  # by title; OLD is retired
    assert response.json["total"] == 7 and response.json["next"] is None
    assert_matches(spec, response_schema(spec, "/courses"), response.json)
    assert_no_secrets(secrets_of(catalogue_rows[c] for c in ("SGE", "CE", "OS")), response.json)


def test_course_item_gives_codes_numbers_and_the_page(client, team, catalogue_rows):
    items = {item["code"]: item for item in get(client, team["oak_teacher"], "/api/v1/courses").json["items"]}
    sge = items["SGE"]
    assert sge == {
        "code": "SGE",
        "title": "Safeguarding Everyone",
        "summary": catalogue_rows["SGE"].summary,
        "delivery_mode": "elearning",
        "cpd_hours": 2,
        "level": 1,
        "estimated_minutes": 38,
        "audience": {"sectors": [], "job_roles": []},
        "requirements": ["staff-safeguarding", "vcs-safeguarding", "health-l1"],
        "url": "http://localhost/courses/SGE",
    }
    assert isinstance(items["CE"]["cpd_hours"], float) and items["CE"]["cpd_hours"] == 1.5
    assert items["DSL-NEW"]["audience"] == {"sectors": ["education"], "job_roles": ["school-dsl", "deputy-dsl"]}
    assert items["DSL-NEW"]["level"] == 3 and items["DSL-NEW"]["cpd_hours"] == 12
    assert items["DSL-NEW"]["estimated_minutes"] is None
    assert items["GOV"]["delivery_mode"] == "virtual"
    # The url is the course's real page.
    assert client.get(sge["url"].removeprefix("http://localhost")).status_code == 200


@pytest.mark.parametrize("query, expected", [
    ("q=everyone", ["SGE"]),
    ("q=SAFEGUARDING", ["UPDATE", "EY-ANNEXC", "SGE", "GOV"]),
    ("q=dsl-new", ["DSL-NEW"]),  # codes match too
    ("mode=elearning", ["UPDATE", "CE", "OS", "SGE"]),
    ("mode=virtual&mode=face-to-face", ["DSL-NEW", "EY-ANNEXC", "GOV"]),
    ("mode=virtual,elearning", ["UPDATE", "CE", "OS", "SGE", "GOV"]),
    ("mode=twilight", []),
    ("level=1", ["UPDATE", "OS", "SGE"]),
    ("level=2&level=3", ["CE", "DSL-NEW", "EY-ANNEXC", "GOV"]),
    ("level=1,3", ["UPDATE", "DSL-NEW", "OS", "SGE"]),
    # A course with no audience is for everyone, so it matches every sector and role.
    ("sector=early-years", ["CE", "EY-ANNEXC", "OS", "SGE", "GOV"]),
    ("sector=health", ["CE", "OS", "SGE", "GOV"]),
    ("job_role=governor", ["CE", "EY-ANNEXC", "OS", "SGE", "GOV"]),
    ("job_role=deputy-dsl&sector=education", ["UPDATE", "CE", "DSL-NEW", "OS", "SGE"]),
    ("mode=elearning&level=1&q=online", ["UPDATE", "OS"]),
    ("q=no+such+thing", []),
    # Empty values: no filter.
    ("mode=&level=&q=&sector=&job_role=", ["UPDATE", "CE", "DSL-NEW", "EY-ANNEXC", "OS", "SGE", "GOV"]),
])
def test_course_filters(client, team, catalogue_rows, query, expected):
    assert codes(get(client, team["oak_teacher"], f"/api/v1/courses?{query}")) == expected


@pytest.mark.parametrize("query, field", [
    ("mode=carrier-pigeon", "mode"),
    ("mode=elearning,bogus", "mode"),
    ("mode=" + ",".join(["elearning"] * 21), "mode"),
    ("level=4", "level"),
    ("level=0", "level"),
    ("level=one", "level"),
    ("level=1.5", "level"),
    ("sector=space", "sector"),
    ("job_role=wizard", "job_role"),
    ("q=" + "x" * 201, "q"),
    ("page=0", "page"),
    ("per_page=501", "per_page"),
])
def test_bad_course_filters_are_400_naming_the_parameter(client, team, catalogue_rows, spec, query, field):
    response = get(client, team["oak_teacher"], f"/api/v1/courses?{query}")
    assert response.status_code == 400
    body = response.json
    assert body["error"] == "bad-request" and field in body["message"]
    assert body["errors"] == [{"field": field, "message": body["message"]}]
    assert_matches(spec, response_schema(spec, "/courses", status="400"), body)


def test_course_pages_follow_next(client, team, catalogue_rows):
    token = make_token(team["admin"])
    url, seen, pages = "/api/v1/courses?mode=elearning,face-to-face,virtual&per_page=4", [], 0
    while url:
        body = client.get(url, headers=bearer(token)).json
        assert body["total"] == 7 and body["page"] == pages + 1 and body["per_page"] == 4
        seen += [item["code"] for item in body["items"]]
        url = body["next"]
        if url:
            assert "mode=elearning,face-to-face,virtual" in url and "page=2" in url
        pages += 1
    assert pages == 2 and seen == ["UPDATE", "CE", "DSL-NEW", "EY-ANNEXC", "OS", "SGE", "GOV"]


def test_same_titles_keep_a_stable_order_across_pages(client, team, courses):
    for i in range(5):
        make_course(f"TWIN{i}", "Twin title")
    db.session.commit()
    token = make_token(team["admin"])
    first = client.get("/api/v1/courses?q=twin&per_page=3", headers=bearer(token)).json
    second = client.get(first["next"], headers=bearer(token)).json
    assert [i["code"] for i in first["items"] + second["items"]] == [f"TWIN{i}" for i in range(5)]


def test_courses_need_a_token(client, courses):
    assert client.get("/api/v1/courses").status_code == 401
    assert client.get("/api/v1/courses/SGE").status_code == 401


def test_course_list_statements_do_not_grow_with_courses(client, team, courses, count_queries):
    token = make_token(team["oak_teacher"])
    client.get("/api/v1/courses", headers=bearer(token))  # first use writes last_used_at
    with count_queries() as few:
        small = client.get("/api/v1/courses?sector=education", headers=bearer(token))
    for i in range(12):
        make_course(f"EXTRA-{i}", f"Extra course {i}", sectors=("education", "early-years"),
                    roles=("teacher", "school-dsl"), requirements=("staff-safeguarding",))
    db.session.commit()
    with count_queries() as many:
        large = client.get("/api/v1/courses?sector=education", headers=bearer(token))
    assert len(large.json["items"]) == len(small.json["items"]) + 12
    assert all(item["audience"]["sectors"] == ["education", "early-years"]
               for item in large.json["items"] if item["code"].startswith("EXTRA"))
    assert len(many) == len(few), many


# --- one course -----------------------------------------------------------------------

def test_elearning_course_detail_outlines_the_content(client, team, catalogue_rows, spec):
    response = get(client, team["elm_worker"], "/api/v1/courses/SGE")
    assert response.status_code == 200
    body = response.json
    course = catalogue_rows["SGE"]
    version = catalogue.latest_version(course)
    assert body["code"] == "SGE" and body["title"] == "Safeguarding Everyone"
    assert body["learning_outcomes"] == course.learning_outcomes and len(body["learning_outcomes"]) == 8
    assert body["version"] == 1
    assert body["lessons"] == [
        {"position": lesson.position, "title": lesson.title, "minutes": lesson.minutes} for lesson in version.lessons
    ]
    assert [lesson["position"] for lesson in body["lessons"]] == [1, 2, 3, 4, 5, 6, 7]
    assert body["lessons"][0] == {"position": 1, "title": "What safeguarding means", "minutes": 5}
    assert body["quiz"] == {"questions": 10, "pass_mark": 80}
    assert_matches(spec, response_schema(spec, "/courses/{code}"), body)


def test_detail_has_the_list_items_fields(client, team, catalogue_rows):
    token = make_token(team["oak_teacher"])
    item = next(i for i in client.get("/api/v1/courses", headers=bearer(token)).json["items"] if i["code"] == "CE")
    detail = client.get("/api/v1/courses/CE", headers=bearer(token)).json
    assert {key: detail[key] for key in item} == item


def test_other_modes_have_no_content_outline(client, team, catalogue_rows, spec):
    body = get(client, team["oak_lead"], "/api/v1/courses/DSL-NEW").json
    assert body["delivery_mode"] == "face-to-face" and body["learning_outcomes"] == ["Understand DSL new to role"]
    assert body["version"] is None and body["lessons"] is None and body["quiz"] is None
    assert_matches(spec, response_schema(spec, "/courses/{code}"), body)


def test_changed_content_shows_the_new_version(client, team, courses, now):
    sources = course_sources()
    sge = next(source for source in sources if source.code == "SGE")
    sge.lessons = sge.lessons[:-1]  # a lesson withdrawn
    catalogue.sync_courses([sge], now=now)
    db.session.commit()
    body = get(client, team["oak_teacher"], "/api/v1/courses/SGE").json
    assert body["version"] == 2 and len(body["lessons"]) == 6


@pytest.mark.parametrize("code", ["NOPE", "OLD", "sge", "x" * 300])
def test_unknown_or_retired_course_is_404_json(client, team, catalogue_rows, spec, code):
    response = get(client, team["admin"], f"/api/v1/courses/{code}")
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.json["error"] == "not-found" and "course" in response.json["message"]
    assert_matches(spec, response_schema(spec, "/courses/{code}", status="404"), response.json)


def test_no_answer_or_lesson_text_in_any_course_response(client, team, catalogue_rows):
    secrets = secrets_of(catalogue_rows[code] for code in ("SGE", "CE", "OS"))
    assert secrets["answer_lists"] and secrets["texts"]  # there is something to look for
    token = make_token(team["admin"])
    for path in ("/api/v1/courses", "/api/v1/courses/SGE", "/api/v1/courses/CE", "/api/v1/courses/OS",
                 "/api/v1/openapi.json"):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 200
        assert_no_secrets(secrets, response.json)


def test_the_secrets_check_would_catch_a_leak(catalogue_rows):
    secrets = secrets_of([catalogue_rows["SGE"]])
    version = catalogue_rows["SGE"].versions[0]
    question = version.questions[0]
    for leak in ({"quiz": {"answers": ["x"]}}, {"items": [list(question["answers"])]},
                 {"title": f"... {question['text']} ..."}, {"lesson": version.lessons[0].body_html}):
        with pytest.raises(AssertionError):
            assert_no_secrets(secrets, leak)


def test_course_detail_statements_are_fixed(client, team, catalogue_rows, count_queries):
    token = make_token(team["oak_teacher"])
    client.get("/api/v1/courses/SGE", headers=bearer(token))
    db.session.expire_all()  # as in a real request, nothing is known beforehand
    with count_queries() as first:
        client.get("/api/v1/courses/SGE", headers=bearer(token))
    db.session.expire_all()
    with count_queries() as second:
        client.get("/api/v1/courses/DSL-NEW", headers=bearer(token))
    # token, course, its sectors, its roles, then for e-learning the version and its lessons
    assert len(first) == 6, first
    assert len(second) == 4, second
    lessons = next(statement for statement in first if "FROM lesson" in statement)
    assert "body" not in lessons  # lesson bodies are not even read
