"""A setting lead's staff: the people recorded as working at the organisations they lead."""
