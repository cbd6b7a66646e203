"""The web session row, naming its signed-in user (the bespoke identity read,
accounts/identity.py, brings the user and their teams along with it)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class WebSession(AbstractBaseSession):
    """Django's database session, naming its signed-in user: the query that reads
    the session brings the user and their teams along (identity.py). Deleting a
    user ends their sessions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        from provenance.accounts.identity import SessionStore

        return SessionStore
