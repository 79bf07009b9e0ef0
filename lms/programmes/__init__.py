"""Programmes: series of sessions on the one booking engine that the partnership runs each
year (DESIGN.md section 8a). Each programme is a sub-feature: the DSL network twilight series
(programmes.twilights) and Safeguarding Week (programmes.week)."""
