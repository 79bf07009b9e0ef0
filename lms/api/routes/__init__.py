"""The API's routes, one module per resource. Each route says what it is with
lms.api.document.describe(...); the schemas it parses and answers with are in lms/api/schemas/."""
