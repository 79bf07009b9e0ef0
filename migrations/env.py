"""Alembic environment for the LMS: runs inside the Flask app (Flask-Migrate), so the
database URL and the models' metadata come from the app."""
from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

database = current_app.extensions["migrate"].db
metadata = database.metadata
options = current_app.extensions["migrate"].configure_args


def _skip_empty_autogenerate(context_, revision, directives):
    """`flask db migrate` writes no file when nothing changed."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logging.getLogger("alembic.env").info("No changes in the models.")


def run_offline() -> None:
    context.configure(
        url=database.engine.url.render_as_string(hide_password=False),
        target_metadata=metadata,
        literal_binds=True,
        **options,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    with database.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            **{**options, "compare_type": True, "process_revision_directives": _skip_empty_autogenerate},
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
