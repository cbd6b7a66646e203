"""Redis down while a claim is published: the publish still succeeds (the outbox
row is written in its transaction; the on-commit hand-off to the broker fails
quietly), and the webhook arrives once Redis is back, through the worker and the
``deliver_outbox`` sweep."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from provenance.publishing import webhooks
from tests.faults.conftest import wait_until
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.faults

# What the broker hand-off raises with Redis stopped: kombu's wrapper of redis-py's.
BROKER_DOWN = ("kombu.exceptions.OperationalError", "redis.exceptions.ConnectionError")
DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def test_publish_succeeds_with_redis_down_and_the_webhook_arrives_once_it_is_back(
    stack, receiver
):
    people = stack.remote("make_team", slug="redis-outage")
    issued = stack.remote("make_publisher", team=people["team"], url=receiver.url)
    claim = stack.remote("ready_claim", team=people["team"], author=people["author"])
    try:
        with stack.worker() as worker:
            stack.redis.stop()

            outcome = stack.remote("publish", claim=claim, actor=people["editor"])
            # Published; the broker call after commit failed, was logged, swallowed.
            assert outcome["status"] == "published"
            [warning] = outcome["broker_warnings"]
            assert re.fullmatch(
                r"Broker unavailable; webhook delivery \d+ left for the outbox sweep",
                warning["message"],
            )
            assert (warning["raised"], warning["cause"]) == BROKER_DOWN
            during = stack.remote("publication_facts", claim=claim)
            assert during["status"] == "published"
            assert [(e["type"], e["dispatched"]) for e in during["events"]] == [
                ("claim.published", False)
            ]
            assert during["deliveries"] == [
                {"state": "pending", "attempts": 0, "error": ""}
            ]
            assert receiver.requests == []

            stack.redis.start()
            # The worker reconnects by itself; the sweep (beat's job every 30 s)
            # is sent now rather than waited for.
            stack.remote("send_task", name="provenance.tasks.deliver_outbox")
            wait_until(
                lambda: receiver.requests,
                timeout=60,
                what="the webhook to be delivered after Redis came back",
                context=lambda: worker.log()[-4000:],
            )
            wait_until(
                lambda: (
                    stack.remote("publication_facts", claim=claim)["deliveries"][0][
                        "state"
                    ]
                    == "delivered"
                ),
                timeout=20,
                what="the delivery to be recorded",
            )
    finally:
        stack.redis.ensure_running()

    after = stack.remote("publication_facts", claim=claim)
    assert after["deliveries"] == [{"state": "delivered", "attempts": 1, "error": ""}]
    assert after["chain_problems"] == []
    assert len(receiver.requests) == 1
    headers, body, _ = receiver.requests[0]
    payload = orjson.loads(body)
    assert payload["id"] == after["events"][0]["key"]
    assert payload["type"] == "claim.published"
    assert payload["claim"]["id"] == claim
    assert payload["claim"]["status"] == "published"
    assert headers["Idempotency-Key"] == after["events"][0]["key"]
    assert webhooks.verify_signature(
        issued["secret"], headers["X-Provenance-Signature"], body
    )


def test_uploads_with_redis_down_are_stored_pending_and_process_once_requeued(stack):
    people = stack.remote("make_team", slug="redis-outage-uploads")
    uploads = {
        "image": DATA / "images" / "plain.jpg",
        "ais": DATA / "ais" / "marinecadastre.csv",
    }
    try:
        stack.redis.stop()
        items = {
            kind: stack.remote(
                f"add_{kind}",
                team=people["team"],
                actor=people["editor"],
                path=str(path),
            )
            for kind, path in uploads.items()
        }
        # Committed, waiting for a worker: the broker outage was not an error.
        assert {kind: stack.item_state(pk) for kind, pk in items.items()} == {
            "image": "pending",
            "ais": "pending",
        }
    finally:
        stack.redis.ensure_running()

    with stack.worker() as worker:
        for pk in items.values():
            assert stack.remote("reprocess", item=pk, actor=people["editor"]) == (
                "pending"
            )
        wait_until(
            lambda: all(stack.item_state(pk) == "done" for pk in items.values()),
            timeout=60,
            what="the requeued uploads to be processed",
            context=lambda: worker.log()[-4000:],
        )
