import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_schema_is_served(client):
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    assert b"/api/v1/export/claims.jsonl" in response.content


def test_docs_page_loads_only_same_origin_files_without_inline_code(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts
    for attributes, body in scripts:
        assert body.strip() == ""
        src = re.search(r'src="([^"]+)"', attributes).group(1)
        assert src.startswith("/"), src  # same origin: no CDN
    assert (
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    )
    csp = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp


def test_docs_init_script_is_served_as_javascript(client):
    response = client.get(reverse("api:docs") + "?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in response.content


def test_sidecar_assets_are_served_locally(client):
    from django.contrib.staticfiles import finders

    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
