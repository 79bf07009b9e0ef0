"""Training requirements and their refresh rules: the partnership admin's pages for
editing them, with every change's effect previewed before it is saved (docs/requirements-admin.md)."""
