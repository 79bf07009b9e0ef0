"""Organisations and the reference data that describes them: sectors, organisation types,
areas and job roles (DESIGN.md section 3)."""
