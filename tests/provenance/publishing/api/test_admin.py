import re

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from provenance.publishing.keys import hash_secret
from provenance.publishing.models import Publisher
from tests.provenance.publishing.api.helpers import (
    make_publisher,
    published,
    publisher_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(login_as, user_factory):
    return login_as(user_factory(username="root", is_staff=True, is_superuser=True))


def test_adding_a_publisher_shows_the_key_once_and_stores_its_hash(
    admin_client, team, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    response = admin_client.post(
        reverse("admin:provenance_publisher_add"),
        {
            "name": "Wire service",
            "teams": [team.pk],
            "webhook_url": "http://127.0.0.1:9/hook",
            "is_webhook_enabled": "on",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    assert response.status_code == 200
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    key = re.search(r"shown once, copy it now\): (\S+)", text).group(1)
    publisher = Publisher.objects.get(name="Wire service")
    prefix, secret = key.split(".", 1)
    assert (publisher.key_prefix, publisher.key_hash) == (prefix, hash_secret(secret))
    # Saved by keys.publisher_create, not by the admin: one audit row, by the user.
    assert [(act, who) for act, who, _ in _trail(team)] == [
        ("publisher.create", "root")
    ]
    published(team)
    assert publisher_client(key).get(reverse("api:claim-list")).status_code == 200
    page = admin_client.get(
        reverse("admin:provenance_publisher_change", args=[publisher.pk])
    )
    assert page.status_code == 200
    assert prefix in page.content.decode()
    assert secret not in page.content.decode()


def test_the_admin_refuses_a_private_webhook_url(admin_client, team, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = admin_client.post(
        reverse("admin:provenance_publisher_add"),
        {
            "name": "Sneaky",
            "teams": [team.pk],
            "webhook_url": "https://10.0.0.5/hook",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not Publisher.objects.filter(name="Sneaky").exists()


def test_revoke_action_stops_the_key(admin_client, team):
    issued = make_publisher(team)
    admin_client.post(
        reverse("admin:provenance_publisher_changelist"),
        {"action": "revoke_keys", "_selected_action": [issued.publisher.pk]},
    )
    assert Publisher.objects.get(pk=issued.publisher.pk).revoked_at is not None
    assert (
        publisher_client(issued.key).get(reverse("api:claim-list")).status_code == 401
    )


def test_delivery_log_and_outbox_are_read_only(admin_client):
    assert (
        admin_client.get(
            reverse("admin:provenance_webhookdelivery_changelist")
        ).status_code
        == 200
    )
    assert (
        admin_client.get(reverse("admin:provenance_outboxevent_changelist")).status_code
        == 200
    )
    assert (
        admin_client.get(reverse("admin:provenance_webhookdelivery_add")).status_code
        == 403
    )


def test_create_publisher_command_prints_the_key_once(team, capsys):
    call_command("create_publisher", "Newsroom", "--team", team.slug)
    out = capsys.readouterr().out.splitlines()
    key = out[out.index("API key (shown once, store it now):") + 1]
    published(team)
    assert publisher_client(key).get(reverse("api:claim-list")).status_code == 200


def _trail(team):
    from provenance.audit.models import AuditEvent

    return list(
        AuditEvent.objects.filter(team=team)
        .order_by("seq")
        .values_list("action", "actor_label", "payload")
    )


def test_every_publisher_change_is_in_the_audit_chain_of_each_team_it_reads(
    admin_client, team, other_team
):
    from provenance.audit.chain import verify_chain

    issued = make_publisher(team)
    url = reverse("admin:provenance_publisher_change", args=[issued.publisher.pk])
    admin_client.post(
        url,
        {
            "name": "Daily Paper",
            "teams": [other_team.pk],  # moved from team A to team B
            "is_webhook_enabled": "on",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )
    changelist = reverse("admin:provenance_publisher_changelist")
    for action in ("issue_new_keys", "revoke_keys"):
        admin_client.post(
            changelist, {"action": action, "_selected_action": [issued.publisher.pk]}
        )

    a_trail, b_trail = _trail(team), _trail(other_team)
    assert [(act, who) for act, who, _ in a_trail] == [
        ("publisher.create", "system"),
        ("publisher.change", "root"),  # A loses the publisher: A's chain says so
    ]
    # A's chain records that A lost it, and that one (unnamed) team reads it now.
    assert (a_trail[1][2]["teams"], a_trail[1][2]["other_teams"]) == ([], 1)
    assert [(act, who) for act, who, _ in b_trail] == [
        ("publisher.change", "root"),
        ("publisher.new_key", "root"),
        ("publisher.revoke", "root"),
    ]
    assert b_trail[-1][2]["revoked"] is True
    everything = str(a_trail + b_trail)
    assert issued.key.split(".")[1] not in everything  # never the secret
    assert issued.publisher.webhook_secret not in everything
    for chain_team in (team, other_team):
        assert list(verify_chain(chain_team)) == []
