"""Admins add and change the courses run on dates."""
