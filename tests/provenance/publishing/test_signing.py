import stat

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from provenance.claims.models import Claim
from provenance.publishing import signing
from provenance.publishing.exports import builders, bundles
from tests.provenance.publishing.api.helpers import make_publisher, rich_claim

pytestmark = pytest.mark.django_db


def _bundle(team) -> bytes:
    rich_claim(team)
    payload = bundles.bundle_payload(
        claims=Claim.objects.filter(team=team),
        public=True,
        urls=builders.ExportUrls(),
        teams=[team],
    )
    return signing.bundle_bytes(signing.sign_bundle(payload))


def _public_key():
    return signing.load_private_key().public_key()


def test_key_is_generated_once_and_private(settings):
    first = signing.load_private_key()
    mode = stat.S_IMODE(settings.SIGNING_KEY_PATH.stat().st_mode)
    assert mode == 0o600
    again = signing.load_private_key()
    assert signing.key_id(first.public_key()) == signing.key_id(again.public_key())


def test_a_bundle_verifies(team):
    result = signing.verify_bundle(_bundle(team), public_key=_public_key())
    assert (result.is_valid, result.claim_count) == (True, 1)


def test_changing_any_single_byte_fails_verification(team):
    data = _bundle(team)
    public_key = _public_key()
    accepted = []
    for position in range(len(data)):
        tampered = bytearray(data)
        tampered[position] ^= 0x01
        if signing.verify_bundle(bytes(tampered), public_key=public_key).is_valid:
            accepted.append(position)
    assert accepted == []


def test_a_changed_claim_is_reported_as_a_signature_mismatch(team):
    data = _bundle(team).replace(b"Claim number", b"Claim numbet", 1)
    result = signing.verify_bundle(data, public_key=_public_key())
    assert not result.is_valid
    assert "signature does not match the payload" in result.reason


def test_reformatting_is_reported_and_accepted_when_lenient(team):
    bundle = orjson.loads(_bundle(team))
    pretty = orjson.dumps(bundle, option=orjson.OPT_INDENT_2)
    strict = signing.verify_bundle(pretty, public_key=_public_key())
    assert not strict.is_valid
    assert "not byte-identical to its canonical form" in strict.reason
    assert signing.verify_bundle(
        pretty, public_key=_public_key(), strict=False
    ).is_valid


def test_another_key_is_named_in_the_reason(team, tmp_path):
    data = _bundle(team)
    other = signing.load_private_key(tmp_path / "other.pem").public_key()
    result = signing.verify_bundle(data, public_key=other)
    assert "signed with key" in result.reason


def test_verify_bundle_command_accepts_a_good_file(team, tmp_path, capsys):
    make_publisher(team)
    path = tmp_path / "bundle.json"
    call_command("export_bundle", "--team", team.slug, "--output", str(path))
    key_path = tmp_path / "key.json"
    key_path.write_bytes(orjson.dumps(signing.public_key_document()))
    call_command("verify_bundle", str(path), "--public-key", str(key_path))
    assert "OK: signature valid" in capsys.readouterr().out


def test_verify_bundle_command_says_why_a_tampered_file_fails(team, tmp_path):
    rich_claim(team)
    path = tmp_path / "bundle.json"
    call_command("export_bundle", "--team", team.slug, "--output", str(path))
    data = path.read_bytes()
    assert b'"status":"published"' in data
    path.write_bytes(data.replace(b'"status":"published"', b'"status":"publishee"', 1))
    with pytest.raises(CommandError, match="signature does not match the payload"):
        call_command("verify_bundle", str(path))
    path.write_bytes(data[:-1])
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("verify_bundle", str(path))


def test_export_bundle_for_a_publisher_holds_only_its_claims(
    team, other_team, tmp_path
):
    rich_claim(team)
    rich_claim(other_team)
    issued = make_publisher(team)
    path = tmp_path / "bundle.json"
    call_command(
        "export_bundle", "--publisher", str(issued.publisher.pk), "--output", str(path)
    )
    payload = orjson.loads(path.read_bytes())["payload"]
    assert {c["team"] for c in payload["claims"]} == {team.slug}
    assert payload["created_at"] <= timezone.now().isoformat().replace("+00:00", "Z")
