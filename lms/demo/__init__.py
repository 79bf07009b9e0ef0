"""Demo data: a fictional borough partnership to explore the service with (`flask lms demo-data`)."""
from lms.demo.week import add_demo_week  # noqa: E402,F401  (Safeguarding Week: flask lms demo-data adds it after the sessions)
