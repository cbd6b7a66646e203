"""What the evidence-adding commands share (add_image, import_ais, capture_url):
the team, acting user and claim options, the descriptive fields, running the
processing in this process, and linking the new item to a claim in the adding
transaction through the claims service."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence import selectors
from evidence.models import EvidenceItem
from evidence.services import tasks_run_here
from provenance.claims import services as claim_services
from provenance.teams.models import Team

RELATIONS = ["supports", "contradicts", "context"]


class EvidenceCommand(BaseCommand):
    """Subclasses add their own arguments after `add_common_arguments` and do the
    work in `run(**options)`."""

    def add_common_arguments(
        self,
        parser: CommandParser,
        *,
        claim_help: str,
        relation: bool = True,
        fields: Iterable[str] = ("title", "source", "description"),
    ) -> None:
        parser.add_argument("--team", required=True, help="Team slug.")
        parser.add_argument(
            "--user",
            help="Acting username (default: the team's first editor or admin).",
        )
        parser.add_argument("--claim", type=int, help=claim_help)
        if relation:
            parser.add_argument(
                "--relation",
                default="context",
                choices=RELATIONS,
                help="Relation to the claim (default: context).",
            )
        for name in fields:
            parser.add_argument(f"--{name}", default="")
        parser.add_argument("--restricted", action="store_true")

    def add_json_argument(self, parser: CommandParser, what: str = "the item") -> None:
        parser.add_argument(
            "--json", action="store_true", help=f"Print {what} as one JSON object."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # No broker: process here and report the outcome, not "pending".
        with tasks_run_here():
            self.run(**options)

    def run(self, **options: Any) -> None:
        raise NotImplementedError

    @staticmethod
    def team_and_actor(options: dict[str, Any]) -> tuple[Team, Any]:
        try:
            return selectors.command_context(
                team_slug=options["team"], username=options["user"]
            )
        except LookupError as exc:
            raise CommandError(str(exc)) from exc

    @staticmethod
    def given_fields(options: dict[str, Any], names: Iterable[str]) -> dict[str, str]:
        """The descriptive fields given on the command line (the rest default)."""
        return {name: options[name] for name in names if options[name]}

    @staticmethod
    def link_to_claim(
        item: EvidenceItem, *, actor: Any, options: dict[str, Any], relation: str
    ) -> None:
        """Link the new item to --claim, if given (inside the adding transaction)."""
        if options["claim"]:
            claim_services.evidence_attach(
                claim_id=options["claim"],
                item_id=item.pk,
                actor=actor,
                relation=relation,
            )
