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
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from evidence import selectors, services
from evidence.images import services as image_services
from evidence.images.process import ImageRejected
from evidence.models import EvidenceItem, ProcessingState
from provenance.management.evidence_command import EvidenceCommand

FIELDS = ("title", "source", "credit", "description")


class Command(EvidenceCommand):
    help = "Add one image file as evidence of a team (optionally linked to a claim)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        self.add_common_arguments(
            parser,
            claim_help="Claim id to link the image to.",
            fields=FIELDS,
        )
        parser.add_argument("--synthetic", action="store_true")
        self.add_json_argument(parser)

    def run(self, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        team, actor = self.team_and_actor(options)
        fields = self.given_fields(options, FIELDS)
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
                self.link_to_claim(
                    item, actor=actor, options=options, relation=options["relation"]
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
