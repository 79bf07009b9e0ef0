"""The training record: one table of completions that compliance, certificates,
portfolios and reports all read (DESIGN.md section 6)."""
