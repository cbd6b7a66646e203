"""Back up the database and the object store together into one folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from provenance.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a backup (database dump, every stored file, a manifest of SHA-256 "
        "hashes) into a new or empty folder. Restore it with `manage.py restore`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)

    def handle(self, *args: Any, folder: Path, **options: Any) -> None:
        try:
            manifest = backup(folder, progress=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backup written to {folder} ({len(manifest['files'])} files)."
        )
