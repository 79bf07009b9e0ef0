"""Safeguarding Week (DESIGN.md section 8a): a yearly programme of events run by partner
agencies for professionals and the public, a public programme page, and public
registration with name and email only."""
