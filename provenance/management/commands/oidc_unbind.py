"""Unlink a user's single sign-on identity, so that their next sign-on matches by
the provider's verified email again (through oidc_services.oidc_identity_unbind,
audited in the user's team chains). Exit status 0 unlinked; an error otherwise."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from provenance.accounts.models import OIDCIdentity
from provenance.accounts.oidc_services import oidc_identity_unbind


class Command(BaseCommand):
    help = "Unlink a user's OpenID Connect identity (issuer + subject)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--issuer", help="Only this provider's (default: the user's only one)."
        )

    def handle(self, *args: Any, username: str, issuer: str | None, **options: Any):
        identities = OIDCIdentity.objects.filter(user__username=username)
        if issuer:
            identities = identities.filter(issuer=issuer)
        found = list(identities)
        if not found:
            raise CommandError(f"{username} has no sign-on identity to unlink.")
        if len(found) > 1:
            raise CommandError(
                f"{username} has identities at several issuers: name one with --issuer."
            )
        oidc_identity_unbind(identity_id=found[0].pk, actor=None)
        self.stdout.write(f"Unlinked {username} from {found[0].issuer}.")
