"""Step-up: publish, correct, retract, lifting a restriction and managing publishers
or API keys want a second factor within SECOND_FACTOR_STEP_UP_SECONDS, in the pages,
the admin and the API. The session's recorded time is moved back, never slept on."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from evidence.models import EvidenceItem
from provenance.claims.models import Claim, ClaimStatus
from provenance.publishing.models import Publisher
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    EvidenceItemFactory,
    UserFactory,
)
from tests.provenance.accounts.second_factor_helpers import (
    age_step_up,
    code_step,
    fresh_code,
    password_step,
    totp_code,
    totp_device,
)

VERIFY = "/account/security/verify/"


@pytest.fixture(autouse=True)
def _required(settings):
    settings.SECOND_FACTOR_REQUIRED = True
    settings.SECOND_FACTOR_STEP_UP_SECONDS = 600


def approved_claim(team, author) -> Claim:
    claim = ClaimFactory(team=team, author=author, status=ClaimStatus.APPROVED)
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    return claim


def publish(client, claim):
    return client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "publish", "version": claim.version},
    )


@pytest.fixture
def signed_in(client, editor):
    """The editor, past password and code; returns (client, device)."""
    device = totp_device(editor)
    password_step(client, editor)
    code_step(client, totp_code(device))
    return client, device


def test_an_editor_without_a_second_factor_cannot_publish_once_required(
    editor_client, team, reporter
):
    claim = approved_claim(team, reporter)

    response = publish(editor_client, claim)

    assert response.url == "/account/security/"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_an_editor_without_a_second_factor_cannot_approve_once_required(
    editor_client, team, reporter
):
    claim = ClaimFactory(team=team, author=reporter, status=ClaimStatus.IN_REVIEW)

    editor_client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "approve", "version": claim.version},
    )

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW


def test_publish_within_the_window_goes_through(signed_in, team, reporter):
    client, _ = signed_in
    claim = approved_claim(team, reporter)

    publish(client, claim)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED


def test_publish_asks_for_the_factor_again_after_the_window(signed_in, team, reporter):
    client, device = signed_in
    claim = approved_claim(team, reporter)
    age_step_up(client, 601)

    response = publish(client, claim)

    assert response.url == f"{VERIFY}?next=%2Fclaims%2F{claim.pk}%2F&step_up=1"
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    # The step-up page says what it is for; the rest of the site still works.
    page = client.get(response.url)
    assert b"Confirm it is you" in page.content
    assert client.get("/").status_code == 200

    code_step(client, fresh_code(device), next_url=claim.get_absolute_url())
    publish(client, claim)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED


def test_approve_needs_no_step_up(signed_in, team, reporter):
    client, _ = signed_in
    claim = ClaimFactory(team=team, author=reporter, status=ClaimStatus.IN_REVIEW)
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    age_step_up(client, 601)

    client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "approve", "version": claim.version},
    )

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_retract_asks_for_the_factor_after_the_window(signed_in, team, reporter):
    client, _ = signed_in
    claim = approved_claim(team, reporter)
    publish(client, claim)
    claim.refresh_from_db()
    age_step_up(client, 601)

    response = client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "retract", "version": claim.version, "comment": "Wrong."},
    )

    assert response.url.startswith(VERIFY)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED


def test_the_window_is_a_setting(settings, signed_in, team, reporter):
    settings.SECOND_FACTOR_STEP_UP_SECONDS = 3600
    client, _ = signed_in
    claim = approved_claim(team, reporter)
    age_step_up(client, 601)

    publish(client, claim)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED


def test_lifting_a_restriction_needs_a_fresh_factor(signed_in, team):
    client, device = signed_in
    item = EvidenceItemFactory(team=team, is_restricted=True)
    age_step_up(client, 601)
    url = reverse("evidence:item-restrict", args=[item.pk])

    response = client.post(url, {"is_restricted": "0"})

    assert response.url.startswith(VERIFY)
    assert EvidenceItem.objects.get(pk=item.pk).is_restricted is True

    code_step(client, fresh_code(device))
    client.post(url, {"is_restricted": "0"})
    assert EvidenceItem.objects.get(pk=item.pk).is_restricted is False


def test_marking_restricted_needs_no_step_up(signed_in, team):
    client, _ = signed_in
    item = EvidenceItemFactory(team=team, is_restricted=False)
    age_step_up(client, 601)

    client.post(
        reverse("evidence:item-restrict", args=[item.pk]), {"is_restricted": "1"}
    )

    assert EvidenceItem.objects.get(pk=item.pk).is_restricted is True


def _superuser_signed_in(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    device = totp_device(superuser)
    password_step(client, superuser)
    code_step(client, totp_code(device))
    return device


def test_adding_a_publisher_in_the_admin_needs_a_fresh_factor(client, team):
    device = _superuser_signed_in(client)
    age_step_up(client, 601)
    add = reverse("admin:provenance_publisher_add")
    form = {
        "name": "Wire",
        "teams": [team.pk],
        "webhook_url": "",
        "claim_url_template": "",
        "deliveries-TOTAL_FORMS": "0",
        "deliveries-INITIAL_FORMS": "0",
    }

    response = client.post(add, form)

    assert (
        response.url
        == f"{VERIFY}?next=%2Fadmin%2Fprovenance%2Fpublisher%2Fadd%2F&step_up=1"
    )
    assert Publisher.objects.count() == 0
    # Viewing the admin needs no step-up.
    assert client.get(add).status_code == 200

    code_step(client, fresh_code(device))
    client.post(add, form)
    assert Publisher.objects.filter(name="Wire").count() == 1


def test_member_api_tokens_in_the_admin_need_a_fresh_factor(client, editor):
    _superuser_signed_in(client)
    age_step_up(client, 601)

    response = client.post(
        reverse("admin:authtoken_tokenproxy_add"), {"user": editor.pk}
    )

    assert response.url.startswith(VERIFY)
    assert Token.objects.count() == 0


def _api_decide(client, claim, decision="publish", **extra):
    return client.post(
        f"/api/v1/claims/{claim.pk}/decisions/",
        {"decision": decision, "version": claim.version, "comment": "ok"},
        content_type="application/json",
        **extra,
    )


def test_the_api_refuses_publish_to_a_session_without_a_fresh_factor(
    signed_in, team, reporter
):
    client, _ = signed_in
    claim = approved_claim(team, reporter)
    age_step_up(client, 601)

    response = _api_decide(client, claim)

    assert response.status_code == 403
    assert "fresh second factor" in response.json()["detail"]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_the_api_publishes_for_a_session_with_a_fresh_factor(signed_in, team, reporter):
    client, _ = signed_in
    claim = approved_claim(team, reporter)

    response = _api_decide(client, claim)

    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED


def test_a_member_token_cannot_publish_for_a_user_who_needs_a_factor(
    client, team, reporter, editor
):
    claim = approved_claim(team, reporter)
    token = Token.objects.create(user=editor)

    response = _api_decide(client, claim, HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_without_the_requirement_a_user_with_no_factor_is_not_asked(
    settings, editor_client, team, reporter
):
    settings.SECOND_FACTOR_REQUIRED = False
    claim = approved_claim(team, reporter)

    publish(editor_client, claim)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED


def test_a_correction_asks_for_the_factor_after_the_window(signed_in, team, reporter):
    client, _ = signed_in
    claim = approved_claim(team, reporter)
    publish(client, claim)
    claim.refresh_from_db()
    published_version = claim.version
    age_step_up(client, 601)
    url = reverse("provenance:claim-correct", args=[claim.pk])

    response = client.post(url, {"version": claim.version, "text": "Corrected."})

    assert (
        response.url == f"{VERIFY}?next=%2Fclaims%2F{claim.pk}%2Fcorrect%2F&step_up=1"
    )
    claim.refresh_from_db()
    assert claim.version == published_version


def test_revoking_a_publishers_key_in_the_admin_needs_a_fresh_factor(client, team):
    from provenance.publishing.keys import publisher_create

    publisher = publisher_create(name="Wire", teams=[team]).publisher
    _superuser_signed_in(client)
    age_step_up(client, 601)

    response = client.post(
        reverse("admin:provenance_publisher_changelist"),
        {"action": "revoke_keys", "_selected_action": [publisher.pk]},
    )

    assert response.url.startswith(VERIFY)
    publisher.refresh_from_db()
    assert publisher.revoked_at is None


def test_the_account_pages_api_token_needs_a_fresh_factor(signed_in, editor):
    client, device = signed_in
    age_step_up(client, 601)

    response = client.post(reverse("account-token"), {"do": "create"})

    assert response.url.startswith(VERIFY)
    assert Token.objects.filter(user=editor).count() == 0
    code_step(client, fresh_code(device))
    response = client.post(reverse("account-token"), {"do": "create"})
    assert response.status_code == 200
    assert Token.objects.filter(user=editor).count() == 1
