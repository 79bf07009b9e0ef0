"""Small arithmetic shared by the reports: shares as whole per cents."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def percent(part: int, whole: int) -> Decimal | None:
    """`part` as a share of `whole`, in whole per cent rounded half up; None when `whole`
    is nothing (a share of nobody is not 0%)."""
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
