"""Restore a backup into an empty, migrated deployment and check it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from provenance.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into this empty deployment "
        "(run `migrate` first): files back into storage, the database loaded, every "
        "file checked against the manifest and every evidence file against its "
        "recorded SHA-256. Exits non-zero on any mismatch. Then run `verify_audit`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)

    def handle(self, *args: Any, folder: Path, **options: Any) -> None:
        try:
            report = restore(folder, progress=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for problem in report.problems:
            self.stderr.write(problem)
        if report.problems:
            raise CommandError(f"{len(report.problems)} file(s) do not match.")
        self.stdout.write(
            f"Restored {report.files} files ({report.bytes} bytes); every evidence "
            "file matches its recorded SHA-256."
        )
