"""The public course page: a course from the catalogue with how to take it (e-learning) or its next dates (bookings)."""
