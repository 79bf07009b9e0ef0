"""Evidence files for external CPD go to a fresh folder for each test."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def evidence_folder(app, tmp_path):
    folder = tmp_path / "evidence"
    before = app.config.get("EVIDENCE_FOLDER")
    app.config["EVIDENCE_FOLDER"] = str(folder)
    yield folder
    app.config["EVIDENCE_FOLDER"] = before
