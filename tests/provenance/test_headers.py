import pytest
from django.urls import reverse

from tests.factories import ClaimFactory


@pytest.fixture
def html_pages(team):
    claim = ClaimFactory(team=team)
    return [
        reverse("provenance:claim-list"),
        reverse("provenance:claim-detail", args=[claim.pk]),
        reverse("provenance:claim-create"),
        reverse("provenance:entity-list"),
    ]


def _csp_directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: (rest[0] if rest else "") for name, *rest in parts}


def test_every_html_page_carries_the_security_headers(reporter_client, html_pages):
    for url in [*html_pages, reverse("login")]:
        response = reporter_client.get(url)
        assert response.status_code == 200, url
        csp = _csp_directives(response["Content-Security-Policy"])
        assert csp["object-src"] == "'none'"
        assert csp["base-uri"] == "'none'"
        assert "'unsafe-inline'" not in csp["script-src"]
        assert csp["script-src"].startswith("'self'")
        assert csp["frame-ancestors"] == "'none'"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


def test_pages_use_no_inline_script_without_the_nonce(reporter_client, html_pages):
    for url in html_pages:
        response = reporter_client.get(url)
        assert response.status_code == 200, url
        nonce = response.wsgi_request.csp_nonce
        body = response.content.decode()
        assert '<main id="main">' in body, url
        for chunk in body.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag or f'nonce="{nonce}"' in tag, (url, tag)
        assert ' style="' not in body, url


def test_a_nul_byte_in_a_query_is_a_clear_400(reporter_client, db):
    for url in ("/?q=%00x", "/entities/?q=a%00", "/api/v1/claims/?updated_since=%00"):
        response = reporter_client.get(url)
        assert response.status_code == 400, url


def test_a_nul_byte_in_a_subject_slug_is_a_field_error(team, reporter):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reporter)}"
    )
    response = client.post(
        "/api/v1/claims/", {"text": "x", "subjects": ["a\x00b"]}, format="json"
    )
    assert response.status_code == 400
    assert "subjects" in response.json()
