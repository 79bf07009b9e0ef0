"""A session's certificates and evaluations, for its trainers."""
