"""Course pages that compose the catalogue with the producers and the consumers: the public
course page (a course with how to take it online or its next dates) and, in sessions/, a
session's certificates and evaluations for its trainers."""
