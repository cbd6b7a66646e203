"""Import fact-checks (ClaimReview JSON-LD, an HTML page with ld+json blocks, or a
Google Fact Check Tools response) from a file as draft claims of a team."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.selectors import command_context
from provenance.publishing.factcheck_import import factcheck_import, import_summary
from provenance.publishing.factcheck_parse import MAX_BYTES


class Command(BaseCommand):
    help = "Import a ClaimReview / Fact Check Tools file as draft claims."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The file to read (at most 2 MB).")
        parser.add_argument("--team", required=True, help="Team slug.")
        parser.add_argument(
            "--user", help="Acting member (default: the team's first editor)."
        )
        parser.add_argument(
            "--create-claimants",
            action="store_true",
            help="Create people/organisations for claimants not found in the team.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print the import as JSON."
        )

    def handle(self, *args, **options) -> None:
        try:
            team, user = command_context(
                team_slug=options["team"], username=options["user"]
            )
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        path = Path(options["file"])
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        try:
            imported = factcheck_import(
                team=team,
                actor=user,
                data=data,
                create_claimants=options["create_claimants"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if options["json"]:
            self.stdout.write(json.dumps(import_summary(imported), indent=2))
            return
        for entry in imported:
            similar = ", ".join(str(s.claim_id) for s in entry.similar) or "none"
            self.stdout.write(
                f"Draft claim {entry.claim.pk}: {entry.claim.text[:80]} "
                f"({len(entry.verdicts)} external verdicts; similar: {similar})"
            )
