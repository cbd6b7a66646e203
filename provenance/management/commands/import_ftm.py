"""Import a FollowTheMoney JSON-lines file (OpenSanctions form) as the next version
of a dataset in a team, through the same service as the upload page
(entities.ftm_import), then screen the team's own entities against it.

Exit status: 0 imported (refused lines, if any, are listed); 1 refused or failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.selectors import command_context
from provenance.entities.ftm_import import ftm_import
from provenance.entities.models import DatasetImport


def import_summary(imp: DatasetImport) -> dict[str, Any]:
    return {
        "import": imp.pk,
        "dataset": imp.dataset,
        "version": imp.version,
        "sha256": imp.sha256,
        "lines_read": imp.lines_read,
        "counts": imp.counts,
        "errors_total": imp.errors_total,
        "errors": imp.errors,
    }


class Command(BaseCommand):
    help = "Import FtM entity JSON lines as a version of a dataset of a team."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--team", required=True, help="Team slug.")
        parser.add_argument("--dataset", required=True, help="Dataset name.")
        parser.add_argument(
            "--user", help="Acting username (default: the team's first editor)."
        )
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            team, actor = command_context(
                team_slug=options["team"], username=options["user"]
            )
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        path: Path = options["file"]
        try:
            with path.open("rb") as handle:
                imp = ftm_import(
                    team=team,
                    actor=actor,
                    dataset=options["dataset"],
                    lines=handle,
                    file_name=path.name,
                )
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        summary = import_summary(imp)
        if options["json"]:
            self.stdout.write(json.dumps(summary, sort_keys=True))
            return
        self.stdout.write(
            f"{imp.dataset} version {imp.version}: {imp.lines_read} lines read"
        )
        for key, value in sorted(imp.counts.items()):
            self.stdout.write(f"  {key}: {value}")
        for error in imp.errors:
            where = f"line {error['line']}" if "line" in error else error.get("id", "")
            self.stdout.write(f"  refused {where}: {error['error']}")
        if imp.errors_total > len(imp.errors):
            self.stdout.write(f"  ... {imp.errors_total - len(imp.errors)} more")
