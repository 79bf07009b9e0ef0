"""A large training-history file like the one in the issue: 151,887 rows, just under the
20 MB the import takes; completions by about 15,000 people at 150 organisations over
24 courses, each row different."""
from __future__ import annotations

import csv
import io
from datetime import date

from lms.records.imports.checks import COLUMNS, MAX_FILE_BYTES

ROWS = 151_887
TYPES = ("primary-school", "secondary-school", "day-nursery", "childminder", "faith-group")


def big_history(rows: int = ROWS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    people = max(1, rows // 10)
    start = date(2012, 1, 1).toordinal()
    for n in range(rows):
        person = n % people
        organisation = person % 150
        course = (n // people) % 24 if rows >= people * 2 else n % 24
        writer.writerow([
            f"person{person:05d}@setting{organisation:03d}.example.org",
            f"Person {person:05d}",
            f"Hartmoor Setting {organisation:03d}",
            TYPES[organisation % len(TYPES)],
            "teacher",
            f"HIST{course:02d}",
            f"Course {course:02d}",
            "face-to-face",
            date.fromordinal(start + (n * 7 + person) % 5000).isoformat(),
            "3.5",
        ])
    data = out.getvalue().encode()
    assert len(data) <= MAX_FILE_BYTES, len(data)
    return data


if __name__ == "__main__":
    import sys

    sys.stdout.buffer.write(big_history())
