"""Add one image as evidence, through the same service and checks as the upload form.

Exit status: 0 added; 1 refused, or stored but its processing failed (reason on
stderr; the item's page says why too); 3 the same bytes are already stored in the
team (with --json, the existing item is printed).

Linking to a claim (--claim) goes through the claims service evidence_attach.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from evidence import selectors, services
from evidence.images import services as image_services
from evidence.images.process import ImageRejected
from evidence.models import EvidenceItem, ProcessingState
from evidence.services import tasks_run_here
from provenance.claims import services as claim_services


class Command(BaseCommand):
    help = "Add one image file as evidence of a team (optionally linked to a claim)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--team", required=True, help="Team slug.")
        parser.add_argument(
            "--user",
            help="Acting username (default: the team's first editor or admin).",
        )
        parser.add_argument("--claim", type=int, help="Claim id to link the image to.")
        parser.add_argument(
            "--relation",
            default="context",
            choices=["supports", "contradicts", "context"],
            help="Relation to the claim (default: context).",
        )
        parser.add_argument("--title", default="")
        parser.add_argument("--source", default="")
        parser.add_argument("--credit", default="")
        parser.add_argument("--description", default="")
        parser.add_argument("--synthetic", action="store_true")
        parser.add_argument("--restricted", action="store_true")
        parser.add_argument(
            "--json", action="store_true", help="Print the item as one JSON object."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # No broker: process here and report the outcome, not "pending".
        with tasks_run_here():
            self._handle(**options)

    def _handle(self, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            team, actor = selectors.command_context(
                team_slug=options["team"], username=options["user"]
            )
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        fields = {
            name: options[name]
            for name in ("title", "source", "credit", "description")
            if options[name]
        }
        try:
            with transaction.atomic(), path.open("rb") as upload:
                item = image_services.evidence_add_image(
                    team=team,
                    actor=actor,
                    upload=upload,
                    filename=path.name,
                    is_synthetic=options["synthetic"],
                    is_restricted=options["restricted"],
                    **fields,
                )
                if options["claim"]:
                    claim_services.evidence_attach(
                        claim_id=options["claim"],
                        item_id=item.pk,
                        actor=actor,
                        relation=options["relation"],
                    )
        except ImageRejected as exc:
            raise CommandError(f"{path.name}: refused: {exc.message}") from exc
        except services.DuplicateEvidence as exc:
            if options["json"]:
                self._print(exc.existing)
            raise CommandError(
                f"{path.name}: already stored as evidence #{exc.existing.pk} "
                f"({exc.existing.title})",
                returncode=3,
            ) from exc
        except (PermissionDenied, ValidationError, ValueError) as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        except ObjectDoesNotExist as exc:
            raise CommandError(f"No claim #{options['claim']}") from exc
        # on_commit has run: with no broker the image is processed by now.
        item.refresh_from_db()
        if options["json"]:
            self._print(item)
        if item.processing_state == ProcessingState.FAILED:
            raise CommandError(
                f"{path.name} (evidence #{item.pk}): processing failed: "
                f"{item.processing_error}"
            )
        if not options["json"]:
            self.stdout.write(
                f"Added evidence #{item.pk} {item.sha256} "
                f"({item.mime_type}, {item.get_processing_state_display()})"
            )

    def _print(self, item: EvidenceItem) -> None:
        item = EvidenceItem.objects.select_related("team", "image").get(pk=item.pk)
        self.stdout.write(json.dumps(selectors.image_summary(item), sort_keys=True))
