"""A path id that is not ASCII digits is the API's JSON 404, never a 500 (a
Unicode digit such as "³" passes str.isdigit() but not int())."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/entities/%C2%B3/",
        "/api/v1/entities/%C2%B3/relationships/1/end/",
        "/api/v1/evidence/%C2%B3/captures/",
    ],
)
def test_a_unicode_digit_id_is_a_json_404(reporter_client, path):
    method = reporter_client.post if path.endswith("end/") else reporter_client.get
    response = method(path, content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
