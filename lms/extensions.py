"""Extension objects, created unbound and initialised in create_app()."""
from contextvars import ContextVar

from flask import current_app
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql import CompoundSelect, Select

# Stable constraint names, so migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Where the app keeps the engine of the reports database (REPORTS_DATABASE_URL), if any:
# app.extensions[REPORTS_BIND].
REPORTS_BIND = "lms_reports_engine"
# Set by lms.core.db_routing.reading_reports() around a report's reads.
reading_reports_flag: ContextVar[bool] = ContextVar("lms_reading_reports", default=False)


class RoutingSession(_FlaskSession):
    """The app's session: as Flask-SQLAlchemy's, except that while reading_reports_flag is
    set a plain SELECT (not FOR UPDATE) runs on the reports database if one is configured.
    Everything else (flushes, UPDATE, INSERT, DELETE, SELECT ... FOR UPDATE, text()) stays
    on the primary."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (
            bind is None
            and reading_reports_flag.get()
            and isinstance(clause, (Select, CompoundSelect))
            and getattr(clause, "_for_update_arg", None) is None
        ):
            engine = current_app.extensions.get(REPORTS_BIND)
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
