from __future__ import annotations

import pytest

from evidence.captures.policy import AddressPolicy


def _resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "http://127.0.0.1/",
            "127.0.0.1 resolves to a private, loopback or reserved address (127.0.0.1)",
        ),
        (
            "http://10.0.0.5:8080/x",
            "10.0.0.5 resolves to a private, loopback or reserved address (10.0.0.5)",
        ),
        (
            "http://[::ffff:192.168.1.1]/",
            "::ffff:192.168.1.1 resolves to a private, "
            "loopback or reserved address (::ffff:c0a8:101)",
        ),
        (
            "http://169.254.169.254/latest/meta-data",
            "169.254.169.254 resolves to a "
            "private, loopback or reserved address (169.254.169.254)",
        ),
        ("http://localhost:8000/", "localhost is a private host name"),
        ("http://printer.local/", "printer.local is a private host name"),
        ("ftp://example.org/", "scheme ftp is not fetched"),
        ("file:///etc/passwd", "scheme file is not fetched"),
        ("https://user:secret@example.org/", "URL carries credentials"),
    ],
)
def test_private_and_odd_urls_are_refused(url, reason):
    assert AddressPolicy().refusal(url) == reason


def test_a_name_resolving_to_a_private_address_is_refused():
    policy = AddressPolicy(resolver=_resolver({"intranet.example.org": ["10.1.2.3"]}))

    assert policy.refusal("https://intranet.example.org/") == (
        "intranet.example.org resolves to a private, loopback or reserved address "
        "(10.1.2.3)"
    )


def test_a_public_name_is_allowed_and_its_address_kept():
    policy = AddressPolicy(resolver=_resolver({"example.org": ["93.184.215.14"]}))

    assert policy.refusal("https://example.org/page") == ""
    assert policy.address_of("https://example.org/other") == "93.184.215.14"


def test_a_named_private_host_is_allowed():
    policy = AddressPolicy.allowing(["127.0.0.1", "Intranet.Example.org"])
    policy.resolver = _resolver({"intranet.example.org": ["10.1.2.3"]})

    assert policy.refusal("http://127.0.0.1:8000/") == ""
    assert policy.refusal("http://intranet.example.org/") == ""
    assert policy.address_of("http://intranet.example.org/") == "10.1.2.3"
    assert policy.refusal("http://127.0.0.2/") == (
        "127.0.0.2 resolves to a private, loopback or reserved address (127.0.0.2)"
    )
