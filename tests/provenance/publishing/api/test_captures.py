"""Issue 18 through the API: members add a link captured on request, list an
item's captures (versions with their files' hashes) and capture again;
another team finds nothing; publishers are refused; bad input is a 400 with
its field."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from evidence.models import EvidenceItem, WebCapture
from provenance.audit.models import AuditEvent
from provenance.teams.models import Team
from tests.evidence.captures.stored import captured_item, stored_capture
from tests.factories import EvidenceItemFactory
from tests.provenance.publishing.api.helpers import make_publisher, publisher_client

pytestmark = pytest.mark.django_db

EVIDENCE = "/api/v1/evidence/"


def captures_url(item) -> str:
    return reverse("api:evidence-captures", args=[item.pk])


def post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_a_member_adds_a_link_with_capture_and_it_is_queued(
    reporter_client, reporter, settings, django_capture_on_commit_callbacks
):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(
            reporter_client,
            EVIDENCE,
            {"url": "http://127.0.0.1:9/notice", "title": "Notice", "capture": True},
        )

    assert response.status_code == 201
    body = response.json()
    item = EvidenceItem.objects.get()
    assert (body["id"], body["kind"], body["title"]) == (item.pk, "link", "Notice")
    assert item.processing_state == "pending"
    assert item.added_by == reporter
    assert item.captures.get().requested_url == "http://127.0.0.1:9/notice"
    assert len(callbacks) == 1


def test_a_link_without_capture_is_a_plain_link(reporter_client):
    response = post(reporter_client, EVIDENCE, {"url": "https://example.org/a"})

    assert response.status_code == 201
    item = EvidenceItem.objects.get()
    assert (item.title, item.processing_state) == (
        "https://example.org/a",
        "not_needed",
    )
    assert not WebCapture.objects.exists()


def test_a_link_is_captured_when_the_team_captures_every_source(
    reporter_client, team, django_capture_on_commit_callbacks
):
    Team.objects.filter(pk=team.pk).update(captures_new_sources=True)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(reporter_client, EVIDENCE, {"url": "https://example.org/a"})

    assert response.status_code == 201
    assert EvidenceItem.objects.get().captures.count() == 1
    assert len(callbacks) == 1


def test_a_loopback_capture_is_a_400_on_url_and_nothing_is_stored(
    reporter_client, settings
):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = []

    response = post(
        reporter_client, EVIDENCE, {"url": "http://127.0.0.1/", "capture": True}
    )

    assert response.status_code == 400
    assert response.json() == {
        "url": [
            "This page cannot be captured: 127.0.0.1 resolves to a private, "
            "loopback or reserved address (127.0.0.1)."
        ]
    }
    assert not EvidenceItem.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"url": ["This field is required."]}),
        ({"url": "not a url"}, {"url": ["Enter a valid URL."]}),
        (
            {"url": "https://example.org/", "capture": "maybe"},
            {"capture": ["Must be a valid boolean."]},
        ),
        (
            {"url": "https://example.org/", "title": "x" * 301},
            {"title": ["Ensure this field has no more than 300 characters."]},
        ),
    ],
)
def test_bad_link_input_is_a_400_with_its_field(reporter_client, body, errors):
    response = post(reporter_client, EVIDENCE, body)

    assert response.status_code == 400
    assert response.json() == errors
    assert not EvidenceItem.objects.exists()


def test_a_publisher_cannot_add_a_link(team):
    issued = make_publisher(team)

    response = post(
        publisher_client(issued.key), EVIDENCE, {"url": "https://example.org/"}
    )

    assert response.status_code == 403
    assert not EvidenceItem.objects.exists()


def test_the_captures_list_numbers_versions_with_their_files_hashes(
    reporter_client, team, editor, reporter, django_assert_max_num_queries
):
    item = captured_item(team, editor)
    one = stored_capture(item, by=editor, text="first")
    two = stored_capture(item, by=reporter, text="second")
    WebCapture.objects.create(
        item=item,
        requested_url=item.url,
        requested_by=reporter,
        summary={
            "blocked": [
                {
                    "url": item.url,
                    "resource_type": "document",
                    "reason": "time cap (60 s) reached",
                }
            ],
            "errors": ["The page did not load: no response"],
        },
    )

    with django_assert_max_num_queries(8):
        response = reporter_client.get(captures_url(item))

    assert response.status_code == 200
    body = response.json()
    assert [(c["id"], c["number"], c["state"], c["requested_by"]) for c in body] == [
        (one.pk, 1, "captured", editor.get_username()),
        (two.pk, 2, "captured", reporter.get_username()),
        (body[2]["id"], 3, "failed", reporter.get_username()),
    ]
    assert body[1]["files"] == [
        {
            "role": "text",
            "sha256": hashlib.sha256(b"second").hexdigest(),
            "size_bytes": 6,
            "mime_type": "text/plain",
        }
    ]
    assert body[2]["refused"][0]["reason"] == "time cap (60 s) reached"
    assert body[2]["errors"] == ["The page did not load: no response"]
    assert body[2]["files"] == []
    assert [c["truncated"] for c in body] == [[], [], []]


def test_the_captures_list_query_count_does_not_grow_with_captures(
    reporter_client, team, editor, django_assert_max_num_queries
):
    item = captured_item(team, editor)
    for n in range(15):
        stored_capture(item, by=editor, text=f"edition {n}")

    with django_assert_max_num_queries(8):
        response = reporter_client.get(captures_url(item))

    assert [c["number"] for c in response.json()] == list(range(1, 16))


def test_capture_again_through_the_api_queues_a_new_version(
    reporter_client, team, editor, reporter, django_capture_on_commit_callbacks
):
    item = captured_item(team, editor)
    stored_capture(item, by=editor, text="first")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(reporter_client, captures_url(item))

    assert response.status_code == 202
    body = response.json()
    assert (body["number"], body["state"], body["requested_by"]) == (
        2,
        "queued",
        reporter.get_username(),
    )
    assert item.captures.count() == 2
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="evidence.capture_again").count() == 1


def test_capture_again_while_a_capture_runs_is_a_409(reporter_client, team, editor):
    item = captured_item(team, editor, processing_state="running")

    response = post(reporter_client, captures_url(item))

    assert response.status_code == 409
    assert response.json() == {
        "detail": "It is being processed now; wait for the result."
    }
    assert not item.captures.exists()


def test_capture_again_of_an_image_is_a_400(reporter_client, team):
    image = EvidenceItemFactory(team=team, kind="image")

    response = post(reporter_client, captures_url(image))

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Only links and statements have a page to capture."
    }


def test_another_teams_item_is_404(outsider_client, team, editor):
    item = captured_item(team, editor)
    stored_capture(item, by=editor, text="first")

    assert outsider_client.get(captures_url(item)).status_code == 404
    assert post(outsider_client, captures_url(item)).status_code == 404
    assert item.captures.count() == 1


def test_publishers_are_refused_the_captures(team, editor):
    item = captured_item(team, editor)
    client = publisher_client(make_publisher(team).key)

    assert client.get(captures_url(item)).status_code == 403
    assert post(client, captures_url(item)).status_code == 403
    assert not item.captures.exists()
