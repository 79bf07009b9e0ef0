"""Access decorators for views. The rules themselves live in accounts.services."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

__all__ = ["login_required", "admin_required", "trainer_required", "setting_lead_required"]


def _role_required(check):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = _role_required(lambda user: user.is_admin)
trainer_required = _role_required(lambda user: user.is_admin or user.is_trainer)
setting_lead_required = _role_required(lambda user: user.is_admin or user.is_setting_lead)
