"""The API's routes, one module per resource. Each route says what it is with
lms.api.document.describe(...); the schemas it parses and answers with are in lms/api/schemas/."""
from lms.api.routes import public  # noqa: E402,F401  (Safeguarding Week's public events: no token)
