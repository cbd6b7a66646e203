import csv
import io

import pytest
from django.urls import reverse

from provenance.common.spreadsheet import csv_safe
from tests.factories import ClaimFactory


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("North Korea has shipped", "North Korea has shipped"),
        (1000, "1000"),
        (None, ""),
    ],
)
def test_csv_cells_that_would_run_as_formulas_are_neutralised(value, expected):
    assert csv_safe(value) == expected


def test_claim_csv_export_is_team_scoped_and_formula_safe(
    reporter_client, team, other_team
):
    ClaimFactory(team=team, text='=HYPERLINK("http://evil.example","click")')
    ClaimFactory(team=other_team, text="Theirs")
    response = reporter_client.get(reverse("provenance:claim-list-csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="claims.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["id", "status", "text"]
    assert [row[2] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil.example","click")'
    ]


def test_claim_csv_export_needs_a_login(client, db):
    response = client.get(reverse("provenance:claim-list-csv"))
    assert response.status_code == 302
