"""Django's database sessions, in WebSession rows that name their user, so that one
query reads the session, the user and their teams (identity.py).

Configured as SESSION_ENGINE; everything but the row's model and its read is
Django's own store.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError

from provenance.teams.identity import load_session
from provenance.teams.models import WebSession


class SessionStore(db.SessionStore):
    # The user the row named when it was read (with their teams), or None.
    signed_in_user: Any = None

    @classmethod
    def get_model_class(cls) -> type[WebSession]:
        return WebSession

    def create_model_instance(self, data: dict[str, Any]) -> WebSession:
        session = super().create_model_instance(data)
        try:
            session.user_id = get_user_model()._meta.pk.to_python(data.get(SESSION_KEY))
        except ValidationError:
            session.user_id = None
        return session

    def _get_session_from_db(self) -> WebSession | None:
        session, self.signed_in_user = load_session(self.session_key)
        if session is None:
            self._session_key = None
        return session
