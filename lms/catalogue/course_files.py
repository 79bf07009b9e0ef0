"""Read, check and load e-learning courses from `courses/<code>/` (docs/course-format.md).

`read_all(root)` parses every folder and returns the parsed courses and every problem
found, each with its file and line. Nothing here touches the database except `sync`,
which loads only when there are no problems at all.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import nh3
import yaml
from markdown_it import MarkdownIt

from lms.catalogue.models import DELIVERY_MODES

COURSE_KEYS_REQUIRED = {
    "code", "title", "summary", "learning_outcomes", "delivery_mode", "cpd_hours", "estimated_minutes", "level",
}
COURSE_KEYS_OPTIONAL = {"audience", "requirements", "evaluation"}
CODE_PATTERN = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
LESSON_NAME = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote", "table", "thead", "tbody",
    "tr", "th", "td", "code", "pre", "hr", "br",
}
ALLOWED_SCHEMES = {"https", "mailto"}


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


@dataclass
class LessonSource:
    position: int
    slug: str
    title: str
    minutes: int
    body_markdown: str
    body_html: str


@dataclass
class CourseSource:
    code: str
    title: str
    summary: str
    learning_outcomes: list[str]
    delivery_mode: str
    cpd_hours: Decimal
    estimated_minutes: int
    level: int
    sectors: list[str]
    job_roles: list[str]
    requirements: list[str]
    pass_mark: int
    questions: list[dict]
    lessons: list[LessonSource] = field(default_factory=list)
    evaluation: bool = False

    @property
    def content_hash(self) -> str:
        payload = {
            "meta": [self.code, self.title, self.summary, self.learning_outcomes, self.delivery_mode,
                     str(self.cpd_hours), self.estimated_minutes, self.level, sorted(self.sectors),
                     sorted(self.job_roles), sorted(self.requirements)],
            "quiz": [self.pass_mark, self.questions],
            "lessons": [[lesson.slug, lesson.title, lesson.minutes, lesson.body_markdown] for lesson in self.lessons],
        }
        if self.evaluation:  # only when set, so courses without it keep the hash they had
            payload["evaluation"] = True
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


# --- YAML with line numbers -----------------------------------------------------------

class LineDict(dict):
    """A mapping that remembers the line of each key (1-based)."""

    line: int = 0

    def __init__(self):
        super().__init__()
        self.key_lines: dict = {}

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(text: str, path: str, problems: list[Problem], line_offset: int = 0):
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 + line_offset if mark else None
        problems.append(Problem(path, line, f"not valid YAML: {error.problem or error.context}"))
    except yaml.YAMLError as error:
        problems.append(Problem(path, None, f"not valid YAML: {error}"))
    return None


# --- Markdown -------------------------------------------------------------------------

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> str:
    """Markdown to safe HTML: raw HTML is escaped by the parser and the result is cleaned
    again with an allow-list, so lesson content can never carry script."""
    html = _markdown.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}, "th": {"style"}, "td": {"style"}},
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
    )


def _check_markdown(text: str, path: str, first_line: int, problems: list[Problem]) -> None:
    for token in _markdown.parse(text):
        line = token.map[0] + first_line if token.map else None
        if token.type == "heading_open" and token.tag == "h1":
            problems.append(Problem(path, line, "use '##' or lower for headings: the lesson title is the page's main heading"))
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "link_open":
                    href = child.attrs.get("href", "")
                    scheme = href.split(":", 1)[0].lower() if ":" in href else ""
                    if scheme not in ALLOWED_SCHEMES:
                        problems.append(Problem(path, line, f"link {href!r} must start with https: or mailto:"))
                if child.type == "image":
                    problems.append(Problem(path, line, "images are not supported in lessons"))


# --- one folder -----------------------------------------------------------------------

def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _read_course_yml(folder: Path, root: Path, problems: list[Problem], known: dict) -> dict | None:
    path = folder / "course.yml"
    name = _rel(path, root)
    if not path.exists():
        problems.append(Problem(name, None, "missing: every course folder needs a course.yml"))
        return None
    data = _load_yaml(path.read_text(encoding="utf-8"), name, problems)
    if data is None:
        return None
    if not isinstance(data, LineDict):
        problems.append(Problem(name, 1, "must be a mapping of keys to values"))
        return None
    count = len(problems)
    for key in sorted(COURSE_KEYS_REQUIRED - set(data)):
        problems.append(Problem(name, None, f"missing required field '{key}'"))
    for key in sorted(set(data) - COURSE_KEYS_REQUIRED - COURSE_KEYS_OPTIONAL):
        problems.append(Problem(name, data.line_of(key), f"unknown field '{key}'"))
    code = data.get("code")
    if "code" in data and code != folder.name:
        problems.append(Problem(name, data.line_of("code"), f"code {code!r} must match the folder name {folder.name!r}"))
    for key in ("title", "summary"):
        if key in data and not _text(data[key]):
            problems.append(Problem(name, data.line_of(key), f"'{key}' must be some text"))
    if "title" in data and _text(data["title"]) and len(data["title"]) > 200:
        problems.append(Problem(name, data.line_of("title"), "'title' must be 200 characters or fewer"))
    outcomes = data.get("learning_outcomes")
    if "learning_outcomes" in data and (
        not isinstance(outcomes, list) or not 1 <= len(outcomes) <= 12 or not all(_text(item) for item in outcomes)
    ):
        problems.append(Problem(name, data.line_of("learning_outcomes"), "'learning_outcomes' must be a list of 1 to 12 sentences"))
    mode = data.get("delivery_mode")
    if "delivery_mode" in data and mode != "elearning":
        allowed = "elearning" if mode in DELIVERY_MODES else ", ".join(DELIVERY_MODES)
        problems.append(Problem(name, data.line_of("delivery_mode"), f"delivery_mode {mode!r} is not allowed here (use {allowed})"))
    if "cpd_hours" in data:
        try:
            hours = Decimal(str(data["cpd_hours"]))
            if hours <= 0 or hours > 100 or hours != hours.quantize(Decimal("0.01")) or isinstance(data["cpd_hours"], bool):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            problems.append(Problem(name, data.line_of("cpd_hours"), "'cpd_hours' must be a number above 0 with at most 2 decimal places"))
    for key, low, high in (("estimated_minutes", 1, 600), ("level", 1, 3)):
        value = data.get(key)
        if key in data and (not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high):
            problems.append(Problem(name, data.line_of(key), f"'{key}' must be a whole number from {low} to {high}"))
    audience = data.get("audience", LineDict())
    if not isinstance(audience, dict):
        problems.append(Problem(name, data.line_of("audience"), "'audience' must have 'sectors' and 'job_roles' lists"))
        audience = LineDict()
    for key in set(audience) - {"sectors", "job_roles"}:
        problems.append(Problem(name, audience.line_of(key), f"unknown audience field '{key}'"))
    for key, kind in (("sectors", "sector"), ("job_roles", "job role")):
        values = audience.get(key, [])
        if not isinstance(values, list):
            problems.append(Problem(name, audience.line_of(key), f"audience '{key}' must be a list of codes"))
            continue
        for value in values:
            if value not in known[key]:
                problems.append(Problem(name, audience.line_of(key), f"unknown {kind} code {value!r}"))
    if "evaluation" in data and not isinstance(data["evaluation"], bool):
        problems.append(Problem(name, data.line_of("evaluation"), "'evaluation' must be true or false"))
    requirements = data.get("requirements", [])
    if not isinstance(requirements, list):
        problems.append(Problem(name, data.line_of("requirements"), "'requirements' must be a list of codes"))
    else:
        for value in requirements:
            if value not in known["requirements"]:
                problems.append(Problem(name, data.line_of("requirements"), f"unknown requirement code {value!r}"))
    return data if len(problems) == count else None


def _split_front_matter(text: str, name: str, problems: list[Problem]):
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        problems.append(Problem(name, 1, "must start with front matter: a '---' line, 'title:' and 'minutes:', then '---'"))
        return None, None, 0
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
    problems.append(Problem(name, 1, "the front matter is not closed: add a '---' line after it"))
    return None, None, 0


def _read_lessons(folder: Path, root: Path, problems: list[Problem]) -> list[LessonSource]:
    lesson_dir = folder / "lessons"
    if not lesson_dir.is_dir():
        problems.append(Problem(_rel(lesson_dir, root), None, "missing: an e-learning course needs a lessons folder"))
        return []
    lessons = []
    files = sorted(lesson_dir.iterdir())
    for path in files:
        name = _rel(path, root)
        match = LESSON_NAME.match(path.name)
        if not match:
            problems.append(Problem(name, None, "lesson file names must look like 01-short-name.md"))
            continue
        count = len(problems)
        meta_text, body, body_first_line = _split_front_matter(path.read_text(encoding="utf-8"), name, problems)
        if meta_text is None:
            continue
        meta = _load_yaml(meta_text, name, problems, line_offset=1)
        if meta is None and len(problems) > count:
            continue
        if not isinstance(meta, LineDict):
            problems.append(Problem(name, 2, "the front matter must have 'title' and 'minutes'"))
            continue
        for key in ("title", "minutes"):
            if key not in meta:
                problems.append(Problem(name, 2, f"front matter is missing '{key}'"))
        for key in set(meta) - {"title", "minutes"}:
            problems.append(Problem(name, meta.line_of(key) + 1, f"unknown front matter field '{key}'"))
        if "title" in meta and not _text(meta["title"]):
            problems.append(Problem(name, meta.line_of("title") + 1, "'title' must be some text"))
        minutes = meta.get("minutes")
        if "minutes" in meta and (not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 30):
            problems.append(Problem(name, meta.line_of("minutes") + 1, "'minutes' must be a whole number from 1 to 30"))
        if not body.strip():
            problems.append(Problem(name, body_first_line, "the lesson has no text"))
        _check_markdown(body, name, body_first_line, problems)
        if len(problems) == count:
            lessons.append(
                LessonSource(
                    position=len(lessons) + 1,
                    slug=match.group(2),
                    title=meta["title"].strip(),
                    minutes=minutes,
                    body_markdown=body,
                    body_html=render_markdown(body),
                )
            )
    if not files:
        problems.append(Problem(_rel(lesson_dir, root), None, "the lessons folder is empty"))
    return lessons


def _read_quiz(folder: Path, root: Path, problems: list[Problem]):
    path = folder / "quiz.yml"
    name = _rel(path, root)
    if not path.exists():
        problems.append(Problem(name, None, "missing: an e-learning course needs a quiz.yml"))
        return None
    data = _load_yaml(path.read_text(encoding="utf-8"), name, problems)
    if data is None:
        return None
    if not isinstance(data, LineDict):
        problems.append(Problem(name, 1, "must have 'pass_mark' and 'questions'"))
        return None
    count = len(problems)
    for key in set(data) - {"pass_mark", "questions"}:
        problems.append(Problem(name, data.line_of(key), f"unknown field '{key}'"))
    pass_mark = data.get("pass_mark")
    if not isinstance(pass_mark, int) or isinstance(pass_mark, bool) or not 1 <= pass_mark <= 100:
        problems.append(Problem(name, data.line_of("pass_mark"), "'pass_mark' must be a whole number from 1 to 100 (a percentage)"))
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        problems.append(Problem(name, data.line_of("questions"), "'questions' must be a list of at least one question"))
        return None
    seen_ids: set = set()
    cleaned = []
    for number, question in enumerate(questions, start=1):
        if not isinstance(question, LineDict):
            problems.append(Problem(name, data.line_of("questions"), f"question {number} must be a mapping"))
            continue
        label = f"question {question.get('id', number)}"
        line = question.line
        for key in ("id", "text", "options", "answers", "feedback"):
            if key not in question:
                problems.append(Problem(name, line, f"{label}: missing '{key}'"))
        for key in set(question) - {"id", "text", "options", "answers", "feedback"}:
            problems.append(Problem(name, question.line_of(key), f"{label}: unknown field '{key}'"))
        qid = question.get("id")
        if qid is not None:
            if not isinstance(qid, str) or not re.fullmatch(r"[a-z0-9-]+", qid):
                problems.append(Problem(name, question.line_of("id"), f"{label}: id must be lower-case letters, digits or hyphens"))
            elif qid in seen_ids:
                problems.append(Problem(name, question.line_of("id"), f"{label}: the id is used by another question"))
            seen_ids.add(qid)
        if "text" in question and not _text(question["text"]):
            problems.append(Problem(name, question.line_of("text"), f"{label}: 'text' must be some text"))
        options = question.get("options")
        option_ids: list = []
        if "options" in question:
            if not isinstance(options, list) or not 2 <= len(options) <= 6:
                problems.append(Problem(name, question.line_of("options"), f"{label}: must have 2 to 6 options"))
                options = []
            for option in options:
                if not isinstance(option, dict) or set(option) != {"id", "text"} or not _text(option.get("text")):
                    problems.append(Problem(name, getattr(option, "line", question.line_of("options")), f"{label}: each option needs an 'id' and a 'text'"))
                    continue
                if option["id"] in option_ids:
                    problems.append(Problem(name, option.line, f"{label}: option id {option['id']!r} is used twice"))
                option_ids.append(option["id"])
        answers = question.get("answers")
        if "answers" in question:
            if not isinstance(answers, list) or not answers:
                problems.append(Problem(name, question.line_of("answers"), f"{label}: 'answers' must list at least one option id"))
            else:
                for answer in answers:
                    if answer not in option_ids:
                        problems.append(Problem(
                            name, question.line_of("answers"),
                            f"{label}: answer {answer!r} is not one of its options ({', '.join(map(str, option_ids))})",
                        ))
        feedback = question.get("feedback")
        if "feedback" in question and (
            not isinstance(feedback, dict) or set(feedback) != {"correct", "incorrect"} or not all(_text(v) for v in feedback.values())
        ):
            problems.append(Problem(name, question.line_of("feedback"), f"{label}: 'feedback' needs 'correct' and 'incorrect' texts"))
        if len(problems) == count:
            cleaned.append({
                "id": qid,
                "text": question["text"].strip(),
                "options": [{"id": str(o["id"]), "text": o["text"].strip()} for o in options],
                "answers": [str(a) for a in answers],
                "feedback": {"correct": feedback["correct"].strip(), "incorrect": feedback["incorrect"].strip()},
            })
    if len(problems) > count:
        return None
    return pass_mark, cleaned


def read_folder(folder: Path, root: Path, known: dict) -> tuple[CourseSource | None, list[Problem]]:
    problems: list[Problem] = []
    if not CODE_PATTERN.match(folder.name):
        problems.append(Problem(_rel(folder, root), None, "course folder names are course codes: capital letters, digits and hyphens"))
    meta = _read_course_yml(folder, root, problems, known)
    lessons = _read_lessons(folder, root, problems)
    quiz = _read_quiz(folder, root, problems)
    if problems or meta is None or quiz is None:
        return None, problems
    audience = meta.get("audience") or {}
    source = CourseSource(
        code=meta["code"],
        title=meta["title"].strip(),
        summary=" ".join(meta["summary"].split()),
        learning_outcomes=[item.strip() for item in meta["learning_outcomes"]],
        delivery_mode=meta["delivery_mode"],
        cpd_hours=Decimal(str(meta["cpd_hours"])),
        estimated_minutes=meta["estimated_minutes"],
        level=meta["level"],
        sectors=list(audience.get("sectors", [])),
        job_roles=list(audience.get("job_roles", [])),
        requirements=list(meta.get("requirements", [])),
        evaluation=bool(meta.get("evaluation", False)),
        pass_mark=quiz[0],
        questions=quiz[1],
        lessons=lessons,
    )
    return source, problems


def read_all(root: Path, known: dict) -> tuple[list[CourseSource], list[Problem]]:
    """Parse every course folder under `root`. `known` maps "sectors", "job_roles" and
    "requirements" to the sets of valid codes."""
    sources, problems = [], []
    if not root.is_dir():
        return [], [Problem(str(root), None, "the courses folder does not exist")]
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        source, found = read_folder(folder, root, known)
        problems.extend(found)
        if source is not None:
            sources.append(source)
    return sources, problems
