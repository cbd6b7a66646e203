"""Sign-in bookkeeping for the account page's session list (Django's own signals:
a session's device is not domain logic)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from provenance.accounts.models import SessionRecord
from provenance.accounts.services import session_record_login


@receiver(user_logged_in, dispatch_uid="accounts.record_session")
def record_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    # Test clients' force_login and API logins may come without a saved session.
    if session is None or not session.session_key:
        return
    session_record_login(user=user, session_key=session.session_key, request=request)


@receiver(user_logged_out, dispatch_uid="accounts.forget_session")
def forget_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        SessionRecord.objects.filter(session_key=session.session_key).delete()
