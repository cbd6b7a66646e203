"""List, or remove, stored objects no record names (provenance.storage_sweep)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from provenance.storage_sweep import DEFAULT_GRACE, sweep


class Command(BaseCommand):
    help = (
        "List the stored objects (local disk or S3) that no record names and that "
        "were written more than --grace-hours ago; with --delete, remove them. "
        "Run it from one node (cron); it is safe beside uploads in flight."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=DEFAULT_GRACE.total_seconds() / 3600,
            help="Keep objects younger than this (default 24): uploads in flight.",
        )
        parser.add_argument(
            "--delete", action="store_true", help="Remove them (default: list)."
        )

    def handle(self, *args: Any, grace_hours: float, delete: bool, **opts: Any):
        if grace_hours < 0:
            raise CommandError("--grace-hours cannot be negative.")
        orphans = sweep(grace=timedelta(hours=grace_hours), delete=delete)
        for orphan in orphans:
            self.stdout.write(
                f"{orphan.name}\t{orphan.size}\t{orphan.modified_at.isoformat()}"
            )
        verb = "Removed" if delete else "Found"
        total = sum(o.size for o in orphans)
        self.stdout.write(
            f"{verb} {len(orphans)} object(s) with no record ({total} bytes)."
        )
