import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "-production-like-secret-key-for-the-test-0123456789",
        ALLOWED_HOSTS="provenance.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_bad_boolean_is_a_configuration_error():
    result = _manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_c2pa_trust_anchors_must_be_a_pem_bundle(tmp_path):
    not_pem = tmp_path / "anchors.txt"
    not_pem.write_text("not a certificate")

    missing = _manage("check", C2PA_TRUST_ANCHORS=str(tmp_path / "none.pem"))
    wrong = _manage("check", C2PA_TRUST_ANCHORS=str(not_pem))
    bundle = ROOT / "tests" / "data" / "real" / "c2pa" / "test_cert_root_bundle.pem"
    good = _manage("check", C2PA_TRUST_ANCHORS=str(bundle))

    assert missing.returncode != 0
    assert "C2PA_TRUST_ANCHORS must be the path of a PEM certificate bundle" in (
        missing.stderr
    )
    assert wrong.returncode != 0
    assert good.returncode == 0, good.stderr


def test_production_requires_a_second_factor_and_keys_follow_the_hosts():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SECOND_FACTOR_REQUIRED, "
        "s.SECOND_FACTOR_STEP_UP_SECONDS, s.OTP_WEBAUTHN_RP_ID, "
        "s.OTP_WEBAUTHN_ALLOWED_ORIGINS)",
        DEBUG="0",
        SECRET_KEY="x" * 20 + "-production-like-secret-key-for-the-test-0123456789",
        ALLOWED_HOSTS="provenance.example.org,10.0.0.5",
    )
    assert result.returncode == 0, result.stderr
    # The last line: Django's shell may print notes on its automatic imports first.
    assert result.stdout.strip().splitlines()[-1] == (
        "True 600 provenance.example.org ['https://provenance.example.org']"
    )


def test_presigned_downloads_need_s3_storage_and_a_short_expiry():
    local = _manage("check", S3_PRESIGNED_DOWNLOADS="true")
    s3 = {"MEDIA_STORAGE": "s3", "S3_PRESIGNED_DOWNLOADS": "true"}
    too_long = _manage("check", **s3, S3_PRESIGNED_EXPIRY_SECONDS="86400")

    assert local.returncode != 0
    assert "S3_PRESIGNED_DOWNLOADS needs MEDIA_STORAGE=s3" in local.stderr
    assert too_long.returncode != 0
    assert "S3_PRESIGNED_EXPIRY_SECONDS must be 1 to 3600" in too_long.stderr
