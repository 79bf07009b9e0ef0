"""CPD portfolios and setting evidence packs (PDF) from the training record."""
