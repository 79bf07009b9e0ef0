"""Demo data: a fictional borough partnership to explore the service with (`flask lms demo-data`)."""
