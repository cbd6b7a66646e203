"""AIS processing through a real Celery worker on Redis (PostgreSQL only)."""

import io

import pytest

from evidence.ais import services as ais_services
from evidence.ais.demo import demo_ais_extracts
from evidence.models import AISPosition, EvidenceItem, PortCall
from provenance.demo.story import SYNTHETIC_IDS


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_uploaded_ais_extract_reaches_done_through_a_real_worker(
    real_celery_worker, team, editor, ports
):
    demo = demo_ais_extracts({"Maria": SYNTHETIC_IDS["Maria"]})[0]

    item = ais_services.evidence_add_ais(
        team=team,
        actor=editor,
        upload=io.BytesIO(demo.content),
        filename=demo.filename,
    )
    seen = set()

    def done() -> bool:
        state = EvidenceItem.objects.get(pk=item.pk)
        seen.add(state.processing_state)
        return state.processing_state in ("done", "failed")

    real_celery_worker.wait_for(done, what="the AIS extract to be processed")

    item.refresh_from_db()
    assert (item.processing_state, item.processing_error) == ("done", "")
    assert "evidence.tasks.process_ais" in real_celery_worker.log()
    extract = item.ais
    assert AISPosition.objects.filter(extract=extract).count() == extract.rows_kept
    assert extract.rows_kept == 6792
    assert (item.progress_done, item.progress_total) == (6792, 6792)
    assert PortCall.objects.filter(extract=extract).count() == 9
    assert extract.gaps.count() == 4
    assert seen <= {"pending", "running", "done"}
