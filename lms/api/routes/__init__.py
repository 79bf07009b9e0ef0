"""The API's routes, one module per resource. Each is described in lms/api/openapi.py."""
