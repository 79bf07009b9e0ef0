"""Asking for, taking and summarising evaluations; certificates that wait for them."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.core.errors import DomainError, NotFound
from lms.evaluations import services
from lms.evaluations.models import Evaluation
from lms.extensions import db
from tests import factories
from tests.conftest import NOW
from tests.evaluations.conftest import ANSWERS, complete


def _certificates():
    return list(db.session.scalars(select(Certificate)))


def test_a_course_that_asks_holds_the_certificate_until_the_evaluation(asking_course, organisation):
    person = factories.user(organisation=organisation)
    completion = complete(person, asking_course)
    assert _certificates() == []
    assert [c.id for c in services.waiting_for(person)] == [completion.id]
    with pytest.raises(DomainError, match="once the course's evaluation is filled in"):
        certificates.issue(completion, actor=None, now=NOW)

    certificate = services.submit(completion, services.Answers(**ANSWERS), actor=person, now=NOW)
    assert certificate.completion_id == completion.id and _certificates() == [certificate]
    assert services.waiting_for(person) == []
    evaluation = db.session.scalar(select(Evaluation))
    assert (evaluation.course_id, evaluation.completed_on, evaluation.sector_id) == (
        asking_course.id, date(2026, 11, 23), organisation.sector_id)


def test_a_course_that_does_not_ask_gets_no_evaluation(make_course, organisation):
    person = factories.user(organisation=organisation)
    completion = complete(person, make_course(mode="elearning"))
    assert len(_certificates()) == 1 and services.waiting_for(person) == []
    with pytest.raises(NotFound):
        services.get_to_evaluate(person, completion.id)
    with pytest.raises(NotFound):
        services.submit(completion, services.Answers(**ANSWERS), actor=person, now=NOW)


def test_only_the_person_evaluates_their_own_training_once(asking_course, organisation, evaluated):
    person = factories.user(organisation=organisation)
    someone_else = factories.user(organisation=organisation)
    completion = complete(person, asking_course)
    with pytest.raises(NotFound):
        services.get_to_evaluate(someone_else, completion.id)
    with pytest.raises(NotFound):
        services.submit(completion, services.Answers(**ANSWERS), actor=someone_else, now=NOW)
    services.submit(completion, services.Answers(**ANSWERS), actor=person, now=NOW)
    with pytest.raises(DomainError, match="already evaluated"):
        services.submit(completion, services.Answers(**ANSWERS), actor=person, now=NOW)
    assert db.session.scalar(select(db.func.count()).select_from(Evaluation)) == 1


@pytest.mark.parametrize("change, field", [
    ({"satisfaction": None}, "satisfaction"),
    ({"satisfaction": 6}, "satisfaction"),
    ({"skills": "maybe"}, "skills"),
    ({"confidence_before": 0}, "confidence_before"),
    ({"confidence_after": None}, "confidence_after"),
    ({"will_do_differently": "x" * 2001}, "will_do_differently"),
    ({"improvements": "x" * 2001}, "improvements"),
])
def test_bad_answers_are_named_and_change_nothing(asking_course, organisation, change, field):
    person = factories.user(organisation=organisation)
    completion = complete(person, asking_course)
    answers = services.Answers(**{**ANSWERS, **change})
    assert list(services.problems(answers)) == [field]
    with pytest.raises(DomainError) as error:
        services.submit(completion, answers, actor=person, now=NOW)
    assert error.value.field == field
    assert db.session.scalar(select(Evaluation)) is None and _certificates() == []


def test_every_missing_answer_is_listed_together():
    assert list(services.problems(services.Answers())) == ["satisfaction", "skills", "confidence_before", "confidence_after"]


def test_a_quote_needs_consent_and_words(asking_course, organisation, evaluated):
    people = [factories.user(organisation=organisation) for _ in range(3)]
    evaluated(people[0], ref="e:0", may_quote=True, will_do_differently="Use the new referral form.")
    evaluated(people[1], ref="e:1", may_quote=False, will_do_differently="Not for quoting.")
    evaluated(people[2], ref="e:2", may_quote=True, will_do_differently="  ")
    summary = services.summarise(services.Filters(course_id=asking_course.id))
    assert summary.quotes == ["Use the new referral form."]
    assert db.session.scalar(select(Evaluation).where(Evaluation.user_id == people[2].id)).may_quote is False


def test_the_summary_figures(asking_course, organisation, evaluated):
    answers = [
        dict(satisfaction=5, skills="a-lot", confidence_before=2, confidence_after=4),
        dict(satisfaction=4, skills="a-little", confidence_before=3, confidence_after=3),
        dict(satisfaction=3, skills="no", confidence_before=4, confidence_after=5),
        dict(satisfaction=1, skills="no", confidence_before=1, confidence_after=2),
    ]
    for index, given in enumerate(answers):
        evaluated(factories.user(organisation=organisation), ref=f"e:{index}", **given)
    summary = services.summarise(services.Filters(course_id=asking_course.id))
    assert summary.responses == 4
    assert summary.satisfaction_percent == Decimal("50")  # 5 and 4 of four answers
    assert summary.skills_percent == Decimal("50")
    assert summary.confidence_before == Decimal("2.5") and summary.confidence_after == Decimal("3.5")
    assert summary.more_confident_percent == Decimal("75")
    assert summary.satisfaction_counts == {5: 1, 4: 1, 3: 1, 1: 1}


def test_summaries_by_course_and_period(make_course, organisation, evaluated):
    first = make_course("AAA", mode="elearning", title="Adolescent risk")
    second = make_course("ZZZ", mode="elearning", title="Zero tolerance")
    for course in (first, second):
        course.asks_for_evaluation = True
    evaluated(factories.user(organisation=organisation), first, ref="a", satisfaction=5)
    evaluated(factories.user(organisation=organisation), second, ref="b", satisfaction=2)
    rows = services.course_rows(services.Filters(date_from=date(2026, 10, 1), date_to=date(2026, 12, 31)))
    assert [(course.code, summary.responses, summary.satisfaction_percent) for course, summary in rows] == [
        ("AAA", 1, Decimal("100")), ("ZZZ", 1, Decimal("0"))]
    assert services.course_rows(services.Filters(date_from=date(2026, 11, 24), date_to=date(2026, 12, 31))) == []
    empty = services.summarise(services.Filters(course_id=first.id, date_to=date(2026, 1, 1)))
    assert empty.responses == 0 and empty.satisfaction_percent is None


def test_summaries_take_a_fixed_number_of_statements(asking_course, organisation, evaluated, count_queries):
    for index in range(5):
        evaluated(factories.user(organisation=organisation), ref=f"e:{index}")
    filters = services.Filters(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
    with count_queries() as statements:
        services.course_rows(filters)
    assert len(statements) == 2
    with count_queries() as statements:
        services.summarise(filters)
    assert len(statements) == 2


def test_issue_missing_skips_e_learning_waiting_for_its_evaluation(runner, asking_course, organisation):
    complete(factories.user(organisation=organisation), asking_course)
    db.session.commit()
    result = runner.invoke(args=["lms", "certificates", "issue-missing"])
    assert "0 certificates issued" in result.output and _certificates() == []
