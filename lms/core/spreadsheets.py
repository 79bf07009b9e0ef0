"""Writing text into CSV and XLSX files that people open in spreadsheet programs."""
from __future__ import annotations

# A cell starting with one of these is read as a formula by spreadsheet programs: text
# from people (names, titles) must never run as one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str | None) -> str:
    """The text as it should be written to a cell: a leading apostrophe before anything a
    spreadsheet would take for a formula. None becomes an empty string."""
    value = value or ""
    return "'" + value if value.startswith(FORMULA_START) else value
