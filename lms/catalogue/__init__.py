"""The course catalogue: courses, their audiences and requirements, and the versioned
content of e-learning courses loaded from `courses/<code>/`."""
