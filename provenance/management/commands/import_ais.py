"""Import one AIS extract as evidence, through the same service and checks as the
upload form, and process it in this process (no broker needed for batch work).

Exit status: 0 imported; 1 refused or failed (reason on stderr); 3 the same bytes
are already stored in the team (with --json, the existing extract is printed).

--claim links the extract to a claim with relation "supports" through the claims
service evidence_attach. --layout NAME reads a CSV with one of the team's saved
layouts (made on the upload page from a column mapping).

--time ISO8601 gives the capture start of an NMEA file whose lines carry no time
(naive means UTC): every position without a time gets exactly that time; times in
the file win. It is kept with the extract, so reprocessing applies it again.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from evidence import services
from evidence.ais import selectors as ais_selectors
from evidence.ais import services as ais_services
from evidence.ais.analyse import AnalysisParams
from evidence.models import AISLayout, EvidenceItem, ProcessingState
from provenance.management.evidence_command import EvidenceCommand
from provenance.teams.models import Team

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


def _capture_start(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 time: {value!r} (e.g. 2020-04-07T21:39:00Z)"
        ) from exc
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


class Command(EvidenceCommand):
    help = "Import an AIS extract (CSV, .gz, .zst or NMEA) as evidence of a team."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        self.add_common_arguments(
            parser,
            claim_help="Claim id the extract supports (linked).",
            relation=False,
        )
        parser.add_argument(
            "--layout",
            help="Name of one of the team's saved CSV layouts to read the file with.",
        )
        parser.add_argument("--synthetic", action="store_true")
        parser.add_argument(
            "--gap-hours",
            type=float,
            default=AnalysisParams().gap_hours,
            help="Dark period threshold in hours (default 12).",
        )
        parser.add_argument(
            "--min-dwell-hours",
            type=float,
            default=AnalysisParams().min_dwell_hours,
            help="Minimum port-call dwell in hours (default 1).",
        )
        parser.add_argument(
            "--time",
            type=_capture_start,
            default=None,
            help="Capture start (ISO 8601, naive = UTC) for an NMEA file without "
            "times: every position without a time gets it.",
        )
        self.add_json_argument(parser, "the result")

    def run(self, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        team, actor = self.team_and_actor(options)
        layout = None
        if options["layout"]:
            try:
                layout = ais_selectors.ais_layout_by_name(
                    team=team, name=options["layout"]
                )
            except LookupError as exc:
                raise CommandError(str(exc)) from exc
        item = self._add(path, team=team, actor=actor, options=options, layout=layout)
        item = ais_services.ais_process(item_id=item.pk)
        if options["json"]:
            self._print(item)
        if item.processing_state == ProcessingState.FAILED:
            raise CommandError(f"{path.name}: {item.processing_error}")
        if item.processing_state == ProcessingState.WARNING:
            # Stored (evidence #pk), but nothing usable came out: not a success.
            raise CommandError(
                f"{path.name} (evidence #{item.pk}): {item.processing_warning}"
            )
        if not options["json"]:
            extract = item.ais
            self.stdout.write(
                f"Imported evidence #{item.pk} "
                f"({extract.get_source_format_display()}): "
                f"{extract.rows_read} rows read, {extract.rows_kept} kept, "
                f"{extract.rows_rejected} rejected; "
                f"{extract.gaps.count()} dark period(s), "
                f"{extract.port_calls.count()} port call(s)."
            )

    def _add(
        self,
        path: Path,
        *,
        team: Team,
        actor: User,
        options: dict[str, Any],
        layout: AISLayout | None = None,
    ) -> EvidenceItem:
        """Store the extract (and link it) in one transaction; refusals become
        CommandErrors (3 for a duplicate)."""
        fields = self.given_fields(options, ("title", "source", "description"))
        params = AnalysisParams(
            gap_hours=options["gap_hours"], min_dwell_hours=options["min_dwell_hours"]
        )
        try:
            with transaction.atomic(), path.open("rb") as upload:
                item = ais_services.evidence_add_ais(
                    team=team,
                    actor=actor,
                    upload=upload,
                    filename=path.name,
                    params=params,
                    enqueue=False,
                    given_time=options["time"],
                    layout=layout,
                    is_synthetic=options["synthetic"],
                    is_restricted=options["restricted"],
                    **fields,
                )
                self.link_to_claim(
                    item, actor=actor, options=options, relation="supports"
                )
        except services.FileRefused as exc:
            raise CommandError(f"{path.name}: refused: {exc.message}") from exc
        except services.DuplicateEvidence as exc:
            if options["json"]:
                self._print(exc.existing)
            raise CommandError(
                f"{path.name}: already stored as evidence #{exc.existing.pk} "
                f"({exc.existing.title})",
                returncode=3,
            ) from exc
        except ValidationError as exc:
            raise CommandError(f"{path.name}: {' '.join(exc.messages)}") from exc
        except (PermissionDenied, ValueError) as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        except ObjectDoesNotExist as exc:
            raise CommandError(f"No claim #{options['claim']}") from exc
        return item

    def _print(self, item: EvidenceItem) -> None:
        data = ais_selectors.ais_extract_json(item)
        self.stdout.write(json.dumps(data, sort_keys=True))
