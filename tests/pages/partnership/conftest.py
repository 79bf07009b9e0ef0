import pytest

from lms.partnership.services import remember_environment


@pytest.fixture(autouse=True)
def _environment_details_after(app):
    """The details a test saved go with its database: later tests see the environment's."""
    yield
    remember_environment(app)
