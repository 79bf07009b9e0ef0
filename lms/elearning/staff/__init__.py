"""A setting lead's e-learning pages: their staff's progress, and enrolling staff on courses."""
