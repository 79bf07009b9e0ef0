from __future__ import annotations

from flask_wtf import FlaskForm


class RetryDownloadForm(FlaskForm):
    """A button: try a failed download again (CSRF only)."""


class PrepareDownloadForm(FlaskForm):
    """A button that queues a prepared download (CSRF only; what it is comes from the URL)."""
