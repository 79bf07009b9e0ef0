from __future__ import annotations

from dataclasses import dataclass

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from werkzeug.datastructures import MultiDict
from wtforms import SubmitField

from lms.catalogue.models import DELIVERY_MODES, LEVELS

CATALOGUE_MODES = ["elearning", "face-to-face", "virtual", "outreach", "twilight", "event"]

# The fixed choices of the filter form, as (value, label): they never change while the app
# runs, so they are built once. Sectors and job roles come from the database.
MODE_CHOICES = tuple((mode, DELIVERY_MODES[mode]) for mode in CATALOGUE_MODES)
LEVEL_CHOICES = tuple((str(level), f"Level {level}: {name}") for level, name in LEVELS.items())

KEYWORD_MAX_LENGTH = 100


@dataclass
class CatalogueQuery:
    """The catalogue's filters, read from the query string (a GET form: it changes
    nothing, so it has no CSRF token and nothing to validate). The template renders the
    controls itself, with GOV.UK markup, from these values and the choices above.

    Every field is optional and anything unexpected is ignored: a keyword is trimmed to
    100 characters, a level that is not a number is dropped, and a page that is not a
    whole number above zero means the first page."""

    keyword: str = ""
    modes: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    sector: str = ""
    job_role: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: MultiDict) -> "CatalogueQuery":
        page = args.get("page", "")
        return cls(
            keyword=args.get("keyword", "").strip()[:KEYWORD_MAX_LENGTH].strip(),
            modes=tuple(dict.fromkeys(m for m in args.getlist("mode") if m)),
            levels=tuple(dict.fromkeys(
                level for level in args.getlist("level") if level.isascii() and level.isdigit()
            )),
            sector=args.get("sector", "").strip(),
            job_role=args.get("job_role", "").strip(),
            page=int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 1_000_000 else 1,
        )

    @property
    def filtered(self) -> bool:
        return bool(self.keyword or self.modes or self.levels or self.sector or self.job_role)

    def query_args(self) -> dict[str, object]:
        """The filters as query-string arguments (no page), for links that keep them."""
        args: dict[str, object] = {}
        if self.keyword:
            args["keyword"] = self.keyword
        if self.modes:
            args["mode"] = list(self.modes)
        if self.levels:
            args["level"] = list(self.levels)
        if self.sector:
            args["sector"] = self.sector
        if self.job_role:
            args["job_role"] = self.job_role
        return args


class ButtonForm(FlaskForm):
    submit = SubmitField("Continue", widget=GovSubmitInput())
