"""Organisations and the reference data that describes them: sectors, organisation types,
areas and job roles (DESIGN.md section 3); who works where, in which role, and who leads
what. Sub-features: reference (reference data), requests ("my organisation is not
listed")."""
