"""Walk each team's audit hash chain and name the first broken event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from provenance.audit.chain import chain_head, verify_chain
from provenance.teams.models import Team


class Command(BaseCommand):
    help = (
        "Verify the audit trail: recompute every event's SHA-256 over its stored "
        "RFC 8785 bytes and the previous hash. Exits non-zero naming the first "
        "broken event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", metavar="SLUG", help="Only this team's chain.")

    def handle(self, *args: Any, team: str | None = None, **options: Any) -> None:
        teams = Team.objects.order_by("slug")
        if team:
            teams = teams.filter(slug=team)
            if not teams.exists():
                raise CommandError(f"No team with slug {team!r}.")
        broken = []
        for each in teams:
            problem = next(verify_chain(each), None)
            if problem is None:
                seq, head = chain_head(each)
                self.stdout.write(f"OK {each.slug}: {seq} events, head {head or '-'}")
                continue
            where = (
                f"event #{problem.seq} (id {problem.event_id})"
                if problem.event_id
                else f"chain head at #{problem.seq}"
            )
            line = f"{each.slug}: {where}: {problem.reason}"
            self.stderr.write(f"BROKEN {line}")
            broken.append(line)
        if broken:
            raise CommandError("Audit chain broken — " + "; ".join(broken))
