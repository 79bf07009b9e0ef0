"""The web application for gunicorn: `gunicorn wsgi:app`. Never starts the scheduler."""
from lms import create_app

app = create_app()
