"""Create a publisher and print its API key, once: only a hash is stored.

`--by USERNAME` names the superuser doing it, for the audit chain (publishers are
managed by superusers only, see provenance.publishing.keys); without it the chain says
"system", as for any shell session, which holds the database anyway.
"""

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from provenance.publishing.keys import publisher_create
from provenance.teams.models import Team


class Command(BaseCommand):
    help = "Create a publisher with read access to published claims of some teams."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--team", action="append", required=True, help="Team slug (repeatable)."
        )
        parser.add_argument("--webhook-url", default="")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Key lifetime in days."
        )
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            default=None,
            help="The superuser creating it (recorded in the audit chain).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["by"]:
            actor = get_user_model().objects.filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(f"No such user: {options['by']}")
        slugs = options["team"]
        teams = list(Team.objects.filter(slug__in=slugs))
        missing = sorted(set(slugs) - {t.slug for t in teams})
        if missing:
            raise CommandError(f"No such team: {', '.join(missing)}")
        expires_at = None
        if options["expires_days"]:
            expires_at = timezone.now() + timedelta(days=options["expires_days"])
        try:
            issued = publisher_create(
                name=options["name"],
                teams=teams,
                webhook_url=options["webhook_url"],
                expires_at=expires_at,
                actor=actor,
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            f"Publisher {issued.publisher.name} (id {issued.publisher.pk})"
        )
        self.stdout.write("API key (shown once, store it now):")
        self.stdout.write(issued.key)
        if issued.publisher.webhook_url:
            self.stdout.write("Webhook signing secret (shown once):")
            self.stdout.write(issued.webhook_secret)
