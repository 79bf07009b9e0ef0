"""Refresh deadlines per role: requirements and their rules, the pure calculation of a
person's status, the maintained status table, pages, reminders (DESIGN.md section 4)."""
