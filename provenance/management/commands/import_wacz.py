"""Import a WACZ made elsewhere (ArchiveWeb.page, Browsertrix, auto-archiver) as
evidence, through the same service and checks as the upload form.

Exit status: 0 imported; 1 refused (the reason on stderr: not a ZIP, a hash
that does not match, a zip bomb, too large, not a member, no such claim); 3 the
same bytes are already stored in the team.

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

from evidence import services
from evidence.captures import services as capture_services
from provenance.management.commands.capture_url import capture_summary
from provenance.management.evidence_command import EvidenceCommand

FIELDS = ("title", "source", "description")


class Command(EvidenceCommand):
    help = "Import a WACZ file made elsewhere as evidence of a team."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        self.add_common_arguments(
            parser, claim_help="Claim id to link the archive to.", fields=FIELDS
        )
        self.add_json_argument(parser)

    def run(self, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        team, actor = self.team_and_actor(options)
        fields = self.given_fields(options, FIELDS)
        try:
            with transaction.atomic(), path.open("rb") as upload:
                item = capture_services.evidence_import_wacz(
                    team=team,
                    actor=actor,
                    upload=upload,
                    filename=path.name,
                    is_restricted=options["restricted"],
                    **fields,
                )
                self.link_to_claim(
                    item, actor=actor, options=options, relation=options["relation"]
                )
        except services.FileRefused as exc:
            raise CommandError(f"{path.name}: {exc.message}") from exc
        except services.DuplicateEvidence as exc:
            raise CommandError(
                f"{path.name}: already stored as evidence #{exc.existing.pk} "
                f"({exc.existing.title})",
                returncode=3,
            ) from exc
        except (PermissionDenied, ValidationError, ValueError) as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        except ObjectDoesNotExist as exc:
            raise CommandError(f"No claim #{options['claim']}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(capture_summary(item), sort_keys=True))
            return
        capture = item.captures.get()
        pages = capture.summary.get("page_count", 0)
        signature = capture.summary.get("signature", {})
        self.stdout.write(
            f"Imported evidence #{item.pk} {capture.final_url} (WACZ sha256 "
            f"{item.sha256}, {pages} page{'s' if pages != 1 else ''}, "
            + (
                f"signed ({signature.get('kind')}): {signature.get('checked')})"
                if signature.get("present")
                else "not signed)"
            )
        )
