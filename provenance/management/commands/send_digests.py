"""Send the daily digests now (the beat schedule runs this at 07:00 UTC)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from provenance.accounts.tasks import send_digests


class Command(BaseCommand):
    help = "Email each user their notices waiting for the daily digest."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_digests()
        self.stdout.write(f"{sent} digest email{'s' if sent != 1 else ''} sent.")
