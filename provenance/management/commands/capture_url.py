"""Capture one web page as evidence, through the same service as the link form.

Exit status: 0 captured (also with refused sub-resources: the summary lists
them); 1 refused (an address the policy refuses, not a member, no such claim)
or the capture failed (reason on stderr; the item's page says why too).

Linking to a claim (--claim) goes through the claims service evidence_attach.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from evidence.documents import services as document_services
from evidence.models import EvidenceItem, ProcessingState
from provenance.management.evidence_command import EvidenceCommand


def capture_summary(item: EvidenceItem) -> dict[str, Any]:
    capture = item.captures.order_by("-requested_at", "-pk").first()
    files = {f.role: f for f in capture.files.all()} if capture else {}
    return {
        "id": item.pk,
        "team": item.team.slug,
        "kind": item.kind,
        "title": item.title,
        "url": item.url,
        "processing_state": item.processing_state,
        "processing_error": item.processing_error,
        "processing_warning": item.processing_warning,
        "capture": None
        if capture is None
        else {
            "id": capture.pk,
            "captured_at": capture.captured_at.isoformat()
            if capture.captured_at
            else None,
            "final_url": capture.final_url,
            "http_status": capture.http_status,
            "title": capture.title,
            "server_ip": capture.server_ip,
            "redirects": capture.redirects,
            "blocked": capture.summary.get("blocked", []),
            "errors": capture.summary.get("errors", []),
            "duration_seconds": capture.summary.get("duration_seconds"),
            "files": {
                role: {"sha256": f.sha256, "size_bytes": f.size_bytes}
                for role, f in sorted(files.items())
            },
        },
    }


class Command(EvidenceCommand):
    help = "Capture a web page (WACZ, screenshot, DOM, text) as evidence of a team."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url")
        self.add_common_arguments(parser, claim_help="Claim id to link the page to.")
        self.add_json_argument(parser)

    def run(self, **options: Any) -> None:
        url: str = options["url"]
        team, actor = self.team_and_actor(options)
        fields = self.given_fields(options, ("title", "source", "description"))
        try:
            with transaction.atomic():
                item = document_services.evidence_add_link(
                    team=team,
                    actor=actor,
                    url=url,
                    capture=True,
                    is_restricted=options["restricted"],
                    **fields,
                )
                self.link_to_claim(
                    item, actor=actor, options=options, relation=options["relation"]
                )
        except ValidationError as exc:
            messages = (
                [m for ms in exc.message_dict.values() for m in ms]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            raise CommandError(f"{url}: {' '.join(messages)}") from exc
        except (PermissionDenied, ValueError) as exc:
            raise CommandError(f"{url}: {exc}") from exc
        except ObjectDoesNotExist as exc:
            raise CommandError(f"No claim #{options['claim']}") from exc
        # on_commit has run: with no broker the page is captured by now.
        item = EvidenceItem.objects.select_related("team").get(pk=item.pk)
        if options["json"]:
            self.stdout.write(json.dumps(capture_summary(item), sort_keys=True))
        if item.processing_state == ProcessingState.FAILED:
            raise CommandError(f"{url} (evidence #{item.pk}): {item.processing_error}")
        if not options["json"]:
            capture = item.captures.order_by("-requested_at", "-pk").first()
            wacz = capture.files.filter(role="wacz").first() if capture else None
            self.stdout.write(
                f"Captured evidence #{item.pk} {capture.final_url if capture else url}"
                f" (WACZ sha256 {wacz.sha256 if wacz else '—'}, "
                f"{item.get_processing_state_display()})"
            )
            if item.processing_warning:
                self.stdout.write(item.processing_warning)
