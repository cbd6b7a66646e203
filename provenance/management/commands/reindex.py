"""Rebuild the search documents of every claim, evidence item, entity and comment."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from provenance.search.indexing import reindex


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the data (after an upgrade that added search, "
        "or to repair it). Safe to run twice and while the site is up: each object "
        "is re-read and stored in its own transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch", type=int, default=500, help="Report progress every N objects."
        )

    def handle(self, *args: Any, batch: int, **options: Any) -> None:
        def progress(label: str, done: int, total: int) -> None:
            self.stdout.write(f"{label}: {done}/{total}")

        counts = reindex(batch=max(1, batch), progress=progress)
        summary = ", ".join(f"{n} {label}" for label, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Reindexed {summary}."))
