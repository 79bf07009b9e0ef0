"""Requests to add an organisation ("my organisation is not listed"), and the admin pages
that decide them."""
