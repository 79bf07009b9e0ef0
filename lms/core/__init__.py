"""Small, feature-agnostic helpers: time, access decorators, errors, database types."""
