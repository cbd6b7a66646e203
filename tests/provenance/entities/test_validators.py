import pytest

from provenance.entities.validators import imo_is_valid


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9074729", True),
        ("IMO 9074729", True),
        ("9074728", False),
        ("907472", False),
        ("90747290", False),
        ("abcdefg", False),
    ],
)
def test_imo_check_digit(value, expected):
    assert imo_is_valid(value) is expected
