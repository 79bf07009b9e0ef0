"""Erasure: a person's personal details removed from every table (on request by an admin,
or by the nightly retention rule for closed accounts), keeping what reports count."""
