"""People: registration, sign-in, sessions, roles, profiles."""
