"""Reports: uptake by sector, organisation type, area, course and delivery mode over
financial quarters and years (DESIGN.md section 8). Read-only over every other feature."""
