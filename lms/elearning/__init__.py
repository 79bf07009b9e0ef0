"""E-learning: enrolments, lessons read, quiz attempts and completion."""
