"""Webhooks against a real HTTP server on 127.0.0.1; retries driven by the clock."""

import ipaddress
import socket
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import kombu.exceptions
import orjson
import pytest
import redis.exceptions
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from provenance.celery import app as celery_app
from provenance.publishing import webhooks
from provenance.publishing.models import OutboxEvent, Publisher, WebhookDelivery
from provenance.publishing.tasks import deliver_outbox, deliver_webhook
from tests.celery_worker import allow_audit_flush, running_worker
from tests.provenance.publishing.api.helpers import make_publisher, published
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def clock(monkeypatch):
    now = [timezone.now()]

    def advance(**delta):
        now[0] += timedelta(**delta)
        return now[0]

    monkeypatch.setattr(timezone, "now", lambda: now[0])
    advance.now = lambda: now[0]
    return advance


def _publish(claim, django_capture_on_commit_callbacks, event_type="claim.published"):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = webhooks.outbox_enqueue(claim=claim, event_type=event_type)
    return event


# --- URL policy -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/hook",
        "https://user:pw@example.org/hook",
        "ftp://example.org/hook",
    ],
)
def test_private_loopback_and_odd_urls_are_refused(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError):
        webhooks.check_webhook_url(url)


def test_a_public_https_address_is_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    webhooks.check_webhook_url("https://93.184.215.14/hook")


@pytest.mark.parametrize(
    "host",
    [
        "[::127.0.0.1]",  # IPv4-compatible loopback
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[2002:7f00:1::1]",  # 6to4 of 127.0.0.1
        "192.0.0.8",  # IETF protocol assignments
        "[::ffff:127.0.0.1]",  # IPv4-mapped loopback
        "[::ffff:10.0.0.1]",
        "[64:ff9b::a00:1]",  # NAT64 of 10.0.0.1
        "[64:ff9b:1::a00:1]",  # local-use NAT64
        "[2002:a9fe:a9fe::1]",  # 6to4 of 169.254.169.254
        "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",  # Teredo
        "[fec0::1]",  # site-local
        "[::]",
        "100.64.0.1",  # shared address space (CGNAT)
        "192.88.99.1",  # 6to4 relay anycast
        "198.18.0.1",  # benchmarking
        "0.0.0.0",  # noqa: S104 - a target refused, not bound
        "224.0.0.1",
    ],
)
def test_special_use_addresses_are_refused_in_every_form(settings, host):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as refused:
        webhooks.check_webhook_url(f"https://{host}/hook")
    assert refused.value.messages == [
        "Webhook URL resolves to a private, loopback or reserved address."
    ]


@pytest.mark.parametrize(
    "host",
    [
        "93.184.215.14",
        "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]",
        "[64:ff9b::5db8:d70e]",  # NAT64 of 93.184.215.14
        "[2002:5db8:d70e::1]",  # 6to4 of 93.184.215.14
        "[::ffff:93.184.215.14]",
    ],
)
def test_public_literals_are_allowed(settings, host):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    vetted = webhooks.check_webhook_url(f"https://{host}/hook")
    assert vetted == [str(ipaddress.ip_address(host.strip("[]")))]


def test_a_name_is_refused_if_any_address_it_resolves_to_is_special(
    settings, monkeypatch
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    # The resolver is the outside boundary: a name with one public and one
    # NAT64-wrapped loopback address.
    answers = ["93.184.215.14", "64:ff9b::7f00:1"]
    monkeypatch.setattr(
        webhooks.socket,
        "getaddrinfo",
        lambda *_args, **_kwargs: [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, 1, 6, "", (a, 443))
            for a in answers
        ],
    )
    with pytest.raises(ValidationError):
        webhooks.check_webhook_url("https://hooks.example.org/hook")


def test_the_setting_allows_loopback_over_http(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    webhooks.check_webhook_url("http://127.0.0.1:8000/hook")


def test_a_publisher_cannot_be_created_with_a_private_url(settings, team):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError):
        make_publisher(team, webhook_url="https://192.168.1.10/hook")


# --- The outbox -----------------------------------------------------------------------


def test_outbox_writes_one_delivery_per_subscribed_publisher(
    team, other_team, receiver, django_capture_on_commit_callbacks
):
    subscribed = make_publisher(team, name="Subscribed", webhook_url=receiver.url)
    make_publisher(team, name="No URL")
    disabled = make_publisher(team, name="Disabled", webhook_url=receiver.url)
    Publisher.objects.filter(pk=disabled.publisher.pk).update(is_webhook_enabled=False)
    make_publisher(other_team, name="Other team", webhook_url=receiver.url)
    event = _publish(published(team), django_capture_on_commit_callbacks)
    deliveries = WebhookDelivery.objects.filter(event=event)
    assert [d.publisher_id for d in deliveries] == [subscribed.publisher.pk]


def test_a_rolled_back_publish_leaves_no_event(team, receiver):
    make_publisher(team, webhook_url=receiver.url)
    claim = published(team)

    def publish_then_fail():
        with transaction.atomic():
            webhooks.outbox_enqueue(claim=claim, event_type="claim.published")
            raise RuntimeError("the publish failed after the outbox write")

    with pytest.raises(RuntimeError):
        publish_then_fail()
    assert not OutboxEvent.objects.exists()
    assert receiver.requests == []


def test_nothing_is_sent_before_commit(
    team, receiver, django_capture_on_commit_callbacks
):
    make_publisher(team, webhook_url=receiver.url)
    claim = published(team)
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        transaction.atomic(),
    ):
        webhooks.outbox_enqueue(claim=claim, event_type="claim.published")
    assert len(callbacks) == 1
    assert receiver.requests == []


def test_a_signed_delivery_arrives_and_its_signature_checks(
    team, receiver, clock, django_capture_on_commit_callbacks
):
    issued = make_publisher(team, webhook_url=receiver.url)
    claim = published(team)
    event = _publish(claim, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    headers, body, _ = receiver.requests[0]
    assert webhooks.verify_signature(
        issued.webhook_secret,
        headers["X-Provenance-Signature"],
        body,
        now=clock.now(),
    )
    assert not webhooks.verify_signature(
        issued.webhook_secret, headers["X-Provenance-Signature"], body + b" "
    )
    assert not webhooks.verify_signature(
        "another-secret", headers["X-Provenance-Signature"], body
    )
    payload = orjson.loads(body)
    assert payload == {
        "schema_version": "1.0",
        "id": str(event.idempotency_key),
        "type": "claim.published",
        "occurred_at": payload["occurred_at"],
        "claim": {
            "id": claim.pk,
            "team": team.slug,
            "status": "published",
            "path": f"/api/v1/claims/{claim.pk}/",
        },
    }
    assert headers["Idempotency-Key"] == str(event.idempotency_key)
    assert headers["X-Provenance-Event"] == "claim.published"
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        "delivered",
        1,
        200,
    )
    assert OutboxEvent.objects.get(pk=event.pk).dispatched_at is not None


def test_a_stale_signature_is_rejected_by_the_receiver_check(team):
    body = b"{}"
    header = webhooks.signature_header(
        "s", int(timezone.now().timestamp()) - 3600, body
    )
    assert not webhooks.verify_signature("s", header, body)


def test_failing_twice_then_succeeding_delivers_the_event_exactly_once(
    team, receiver, clock, django_capture_on_commit_callbacks
):
    make_publisher(team, webhook_url=receiver.url)
    receiver.script = [500, 503]
    event = _publish(published(team), django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(event=event)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == (
        "pending",
        1,
        "HTTP 500",
    )
    # Not due yet: nothing is sent, however often the task runs.
    assert deliver_webhook(delivery.pk) is None
    assert deliver_outbox() == 0
    clock(seconds=31)  # first back-off: 30 s
    assert deliver_webhook(delivery.pk) == "pending"
    clock(seconds=59)
    assert deliver_webhook(delivery.pk) is None  # second back-off is 60 s
    clock(seconds=2)
    assert deliver_outbox() == 1  # the sweep finds it due and delivers
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        "delivered",
        3,
        200,
    )
    clock(hours=5)
    assert deliver_webhook(delivery.pk) is None
    assert deliver_outbox() == 0
    assert [code for _, _, code in receiver.requests] == [500, 503, 200]
    keys = {headers["Idempotency-Key"] for headers, _, _ in receiver.requests}
    assert keys == {str(event.idempotency_key)}
    assert receiver.accepted == {str(event.idempotency_key): 1}


def test_back_off_doubles_and_then_gives_up(
    team, receiver, clock, django_capture_on_commit_callbacks
):
    make_publisher(team, webhook_url=receiver.url)
    receiver.script = [500] * webhooks.MAX_ATTEMPTS
    event = _publish(published(team), django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(event=event)
    delays = []
    for _ in range(webhooks.MAX_ATTEMPTS - 1):
        delivery.refresh_from_db()
        delays.append(delivery.next_attempt_at - clock.now())
        clock(seconds=(delivery.next_attempt_at - clock.now()).total_seconds())
        deliver_webhook(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert delivery.attempts == webhooks.MAX_ATTEMPTS
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]


def test_an_unreachable_endpoint_never_blocks_the_publish(
    team, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_publisher(team, webhook_url=f"http://127.0.0.1:{port}/hook")
    claim = published(team)
    event = _publish(claim, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.state == "pending"
    assert "ConnectionError" in delivery.last_error


def test_a_private_url_is_refused_at_delivery_time_too(
    team, receiver, settings, django_capture_on_commit_callbacks
):
    make_publisher(team, webhook_url=receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE = False
    event = _publish(published(team), django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(event=event)
    assert receiver.requests == []
    assert "Webhook URLs must use https" in delivery.last_error


@pytest.fixture
def hung_broker():
    """A TCP server that accepts connections and never answers (a hung Redis);
    Celery pointed at it with eager mode off."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    saved = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    _reset_pools()
    yield
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved
    _reset_pools()
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _reset_pools():
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_a_hung_broker_at_publish_loses_nothing_and_hangs_nothing(
    team, receiver, hung_broker, django_capture_on_commit_callbacks, caplog
):
    make_publisher(team, webhook_url=receiver.url)
    with caplog.at_level("WARNING", logger="provenance.publishing.webhooks"):
        event = _publish(published(team), django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(event=event)
    # The hand-off ended on the broker's socket timeout (not a refused or
    # reset connection), logged and swallowed: the publish itself went through.
    assert [r.getMessage() for r in caplog.records] == [
        f"Broker unavailable; webhook delivery {delivery.pk} left for the outbox sweep"
    ]
    raised = caplog.records[0].exc_info[1]
    assert type(raised) is kombu.exceptions.OperationalError
    assert str(raised) == "Timeout reading from socket"
    assert type(raised.__cause__) is redis.exceptions.TimeoutError
    assert (delivery.state, delivery.attempts) == ("pending", 0)
    assert OutboxEvent.objects.get(pk=event.pk).dispatched_at is None
    assert receiver.requests == []
    # The broker is back (eager again): the periodic sweep sends it.
    celery_app.conf.task_always_eager = True
    assert deliver_outbox() == 1
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert len(receiver.requests) == 1


def test_a_held_lease_makes_a_second_attempt_do_nothing(team, receiver, clock):
    issued = make_publisher(team, webhook_url=receiver.url)
    with transaction.atomic():
        event = webhooks.outbox_enqueue(
            claim=published(team), event_type="claim.published"
        )
    delivery = WebhookDelivery.objects.get(event=event, publisher=issued.publisher)
    # The first worker holds the lease (as if still sending): the second does nothing.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=clock.now() + webhooks.lease_duration()
    )
    assert webhooks.deliver(delivery.pk) is None
    assert receiver.requests == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_deliver_each_webhook_exactly_once(
    team, receiver, settings, tmp_path
):
    """Two real Celery workers on one queue, each delivery handed to the broker
    three times (at publish, again by id, and by the sweep): every event reaches
    the receiver once, and both workers took part."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: worker processes share the test database")
    issued = make_publisher(team, webhook_url=receiver.url)
    queue = f"test-{uuid.uuid4().hex[:12]}"
    workers = {
        "media_root": Path(settings.MEDIA_ROOT),
        "database": connection.settings_dict,
        "log_dir": tmp_path,
        "queue": queue,
        "extra_env": {"WEBHOOK_ALLOW_PRIVATE": "1"},
    }
    count = 12
    try:
        with running_worker(**workers) as one, running_worker(**workers) as two:
            events = []
            for _ in range(count):
                with transaction.atomic():
                    events.append(
                        webhooks.outbox_enqueue(
                            claim=published(team), event_type="claim.published"
                        )
                    )
            ids = list(
                WebhookDelivery.objects.filter(publisher=issued.publisher)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            assert len(ids) == count
            for delivery_id in ids:
                deliver_webhook.delay(delivery_id)
            deliver_outbox.delay()

            def finished() -> bool:
                logs = one.log() + two.log()
                return (
                    logs.count("provenance.tasks.deliver_webhook[")
                    >= 2 * (2 * count)  # received and succeeded, at least twice each
                    and "provenance.tasks.deliver_outbox[" in logs
                    and not WebhookDelivery.objects.exclude(state="delivered").exists()
                )

            one.wait_for(finished, what="every delivery to be sent and retried")
            # Both processes ran deliveries: the exactly-once comes from the lease.
            for worker in (one, two):
                assert "Task provenance.tasks.deliver_webhook[" in worker.log()
    finally:
        allow_audit_flush()

    assert receiver.accepted == {str(event.idempotency_key): 1 for event in events}
    assert len(receiver.requests) == count
    assert (
        sorted(
            WebhookDelivery.objects.filter(pk__in=ids).values_list(
                "state", "attempts", "last_status_code"
            )
        )
        == [("delivered", 1, 200)] * count
    )


def test_unknown_event_types_are_refused(team):
    with pytest.raises(ValueError, match="Unknown webhook event"), transaction.atomic():
        webhooks.outbox_enqueue(claim=published(team), event_type="claim.liked")


def test_delivery_connects_to_the_address_that_was_vetted_not_a_rebound_one(
    team, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """DNS rebinding: the name answers a public address to the check, then a
    private one. The delivery must connect to the vetted address."""
    import urllib3.util.connection

    settings.WEBHOOK_ALLOW_PRIVATE = False
    make_publisher(team, webhook_url="https://hooks.example.test/hook")
    answers = iter(["93.184.215.14"])  # the first lookup; later ones: loopback

    def resolve(host, port, *args, **kwargs):
        if host == "hooks.example.test":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    connected = []

    def refuse(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("the test network has no route")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", refuse)
    event = _publish(published(team), django_capture_on_commit_callbacks)

    assert connected == [("93.184.215.14", 443)]
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.state == "pending"
    assert "no route" in delivery.last_error


def _tls_receiver(tmp_path, hostname):
    """An HTTPS endpoint on 127.0.0.1 with a certificate for `hostname` from a
    throw-away CA; returns (server, port, CA file)."""
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def certificate(subject, issuer, key, signer, *, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = certificate("Test CA", "Test CA", ca_key, ca_key, ca=True)
    leaf = certificate(hostname, "Test CA", key, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "leaf.key").write_bytes(
        key.private_bytes(
            pem,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    receiver = Receiver()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    receiver.server.socket = context.wrap_socket(
        receiver.server.socket, server_side=True
    )
    return receiver, receiver.server.server_address[1], str(tmp_path / "ca.pem")


@pytest.mark.parametrize(
    ("certificate_for", "delivered"),
    [("hooks.example.test", True), ("someone-else.example.test", False)],
)
def test_a_pinned_https_delivery_still_checks_the_certificate_for_the_url_host(
    team,
    settings,
    monkeypatch,
    tmp_path,
    django_capture_on_commit_callbacks,
    certificate_for,
    delivered,
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    receiver, port, ca_file = _tls_receiver(tmp_path, certificate_for)
    try:
        real_getaddrinfo = socket.getaddrinfo

        def resolve(host, port, *args, **kwargs):
            if host == "hooks.example.test":
                return [
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))
                ]
            return real_getaddrinfo(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", resolve)
        # This test's receiver is on loopback: let the policy treat it as public.
        monkeypatch.setattr(webhooks, "_is_public", lambda address: True)
        monkeypatch.setattr(webhooks.certifi, "where", lambda: ca_file)
        make_publisher(team, webhook_url=f"https://hooks.example.test:{port}/hook")
        event = _publish(published(team), django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get(event=event)
    finally:
        receiver.close()
    if delivered:
        assert delivery.state == "delivered", delivery.last_error
        headers = receiver.requests[0][0]
        assert headers["Host"] == f"hooks.example.test:{port}"
    else:
        assert delivery.state == "pending"
        assert receiver.requests == []
        assert delivery.last_error.startswith("SSLError: hostname")
