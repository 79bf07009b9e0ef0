"""People keep bookmarks and emails with links: every URL the service answers stays as it
is, whatever the code's shape. tests/core/url_map.json is the list of paths and methods
(without HEAD and OPTIONS); a new page adds itself there in the change that adds it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database

KNOWN = Path(__file__).with_name("url_map.json")


def _rules(app) -> set[tuple[str, str]]:
    return {
        (rule.rule, ",".join(sorted(method for method in rule.methods if method not in ("HEAD", "OPTIONS"))))
        for rule in app.url_map.iter_rules()
    }


def test_every_known_url_is_still_answered(app):
    known = {(entry["path"], entry["methods"]) for entry in json.loads(KNOWN.read_text())}
    missing = sorted(known - _rules(app))
    assert not missing, f"URLs no longer answered: {missing}"


def test_every_url_is_known(app):
    known = {(entry["path"], entry["methods"]) for entry in json.loads(KNOWN.read_text())}
    unknown = sorted(_rules(app) - known)
    assert not unknown, f"add these to {KNOWN.name} with the change that adds them: {unknown}"
