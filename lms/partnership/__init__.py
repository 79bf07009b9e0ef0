"""The partnership's own details: its name (in the header and emails), contact, data
protection officer, certificate logo and signatory, accessibility contact and retention
periods. Set from the environment, and changed by an admin on /admin/partnership."""
