from pathlib import Path

import pytest

from evidence.ais.demo import DUNAI, RAJIN
from provenance.audit.chain import chain_head
from tests.celery_worker import real_celery_worker  # noqa: F401 - a fixture
from tests.factories import EntityFactory

DATA = Path(__file__).resolve().parents[1] / "data"
IMAGES = DATA / "images"
FILES = DATA / "evidence"


@pytest.fixture
def ports(team):
    """The demo's two ports (Rajin, Dunai) as port entities of `team`, by key."""
    return {
        port.key: EntityFactory(
            team=team,
            kind="port",
            name=port.name,
            slug=port.key,
            latitude=port.lat,
            longitude=port.lon,
        )
        for port in (RAJIN, DUNAI)
    }


@pytest.fixture
def image_path():
    def path(name: str) -> Path:
        return (FILES / name) if (FILES / name).exists() else IMAGES / name

    return path


@pytest.fixture
def add_image(team, editor, image_path, django_capture_on_commit_callbacks):
    """Add an image through the service, running its on-commit processing."""
    from evidence.images import services

    def add(name: str, *, actor=None, team_=None, **fields):
        with (
            django_capture_on_commit_callbacks(execute=True),
            image_path(name).open("rb") as upload,
        ):
            item = services.evidence_add_image(
                team=team_ or team,
                actor=actor or editor,
                upload=upload,
                filename=fields.pop("filename", name),
                **fields,
            )
        item.refresh_from_db()
        return item

    return add


@pytest.fixture
def snapshot(team):
    """Row counts, stored files and the audit chain head, to show nothing changed."""
    from django.conf import settings

    from evidence.models import CustodyEvent, EvidenceItem, ImageDetail, NearDuplicate
    from provenance.audit.models import AuditEvent
    from provenance.claims.models import ClaimEvidence

    def take():
        media = Path(settings.MEDIA_ROOT)
        files = (
            sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []
        )
        return {
            "items": EvidenceItem.objects.count(),
            "images": ImageDetail.objects.count(),
            "custody": CustodyEvent.objects.count(),
            "near": NearDuplicate.objects.count(),
            "links": ClaimEvidence.objects.count(),
            "audit": AuditEvent.objects.count(),
            "chain_head": chain_head(team),
            "files": [str(p) for p in files],
        }

    return take
