"""Pages that belong to no one feature: the start page, the home dashboards (each person's,
and the partnership admin's) and the fixed pages (accessibility, privacy). The top layer:
it may read every feature."""
