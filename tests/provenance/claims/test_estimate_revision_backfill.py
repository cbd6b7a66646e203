"""Migration 0022: an estimate made from an annotation before estimates named the
revision they counted cites the revision in force when it was recorded."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps

from evidence.images import annotations
from evidence.models import EvidenceKind, ImageDetail
from provenance.claims import services as claim_services
from provenance.claims.models import QuantityEstimate
from tests.factories import ClaimEvidenceFactory, EvidenceItemFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "provenance.migrations.0022_maps21_estimate_annotation_revision"
)


def test_an_older_estimate_cites_the_revision_in_force_when_it_was_recorded(
    team, reporter
):
    item = EvidenceItemFactory(team=team, kind=EvidenceKind.IMAGE, sha256="ab" * 32)
    ImageDetail.objects.create(item=item, width=100, height=100, display="d.jpg")
    link = ClaimEvidenceFactory(claim__team=team, item=item)
    annotation = annotations.annotation_create(
        item_id=item.pk,
        actor=reporter,
        shape="point",
        points=[[1, 1]],
        label="crane",
        count=2,
    )
    estimate = claim_services.quantity_estimate_from_annotation(
        claim_id=link.claim_id, annotation_id=annotation.pk, actor=reporter
    )
    annotations.annotation_update(annotation_id=annotation.pk, actor=reporter, count=3)
    annotation.revisions.filter(version=2).update(
        at=estimate.recorded_at + timedelta(seconds=1)
    )
    QuantityEstimate.objects.update(annotation_revision=None)
    migration.cite_the_revision_counted(apps, None)
    estimate.refresh_from_db()
    assert (
        estimate.annotation_revision.version,
        estimate.annotation_revision.count,
    ) == (
        1,
        2,
    )
