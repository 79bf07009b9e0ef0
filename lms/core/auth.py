"""Who is asking, and access decorators for views. The rules themselves live in
accounts.services (visible_people, can_see_person, leads)."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

__all__ = ["actor", "login_required", "admin_required", "trainer_required", "setting_lead_required"]


def actor():
    """The signed-in person (the User itself, not Flask-Login's proxy), or None when nobody
    is signed in. Views pass it to services as the actor; services never read current_user."""
    return current_user._get_current_object() if current_user.is_authenticated else None


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
