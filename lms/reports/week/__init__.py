"""The Safeguarding Week report (DESIGN.md 8 and 8a): events, registrations, attendance by
sector and public, by organiser, evaluations and engagement."""
