"""The training record's pages: its sub-features' blueprints, nested in one (external CPD,
records.external.*; the import of training history, records.imports.*)."""
from __future__ import annotations

from flask import Blueprint

from lms.records.external.views import bp as external_bp
from lms.records.imports.views import bp as imports_bp

bp = Blueprint("records", __name__)
bp.register_blueprint(external_bp)
bp.register_blueprint(imports_bp)
