"""Refresh deadlines per role (DESIGN.md section 4, docs/compliance.md).

- models.py: requirements, their rule layers, the maintained status table, the kept counts
- engine.py: the pure calculation of a person's status on a requirement
- services.py: effective rules, the status table and the counts the overview reads
- queries.py, matrix.py, overview.py: the pages' reads (one person, a setting's staff
  matrix, the admin overview); exports.py: the matrix and the overview as CSV and XLSX
- reminders.py, jobs.py: reminders and setting leads' digests, and the scheduled jobs
- baseline.py: the national requirements shipped with the service
- views.py, forms.py: the compliance pages (blueprint `compliance`)
- rules/: editing requirements and their rules (blueprint `compliance.rules`)
"""
