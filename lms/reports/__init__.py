"""Reports: uptake by sector, organisation type, area, course and delivery mode over
financial quarters and years, and sessions' fill and attendance (DESIGN.md section 8);
CPD portfolios and setting evidence packs (portfolio/). Read-only over every other feature."""
