"""Learner licences: how many the partnership has bought, how many accounts are active,
and dormancy for accounts not used for a long time."""
