import re

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from provenance.api.keys import hash_secret
from provenance.models import Publisher

from .helpers import make_publisher, published, publisher_client

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
    published(team)
    assert publisher_client(key).get(reverse("api:claim-list")).status_code == 200
    page = admin_client.get(
        reverse("admin:provenance_publisher_change", args=[publisher.pk])
    )
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
