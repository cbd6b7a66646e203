"""Issue 19: backup and restore, the database and the object store together. A
backup of a team with claims, an image and an AIS extract is restored into an
empty deployment (a fresh SQLite database and media folder, migrated in its own
process): every file matches its recorded SHA-256 and the audit chain verifies.
A non-empty deployment or a damaged backup is refused."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from evidence.ais.services import ais_process, evidence_add_ais
from provenance.backup import DATABASE, MANIFEST, BackupError, restore
from provenance.claims import services
from tests.evidence.conftest import add_image, image_path  # noqa: F401 (fixtures)
from tests.factories import EvidenceItemFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
AIS = ROOT / "tests" / "data" / "ais" / "marinecadastre.csv"


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def story(team, editor, reporter, add_image):  # noqa: F811
    claim = services.claim_create(team=team, actor=reporter, text="Ships left Rajin.")
    image = add_image("exif_gps.jpg")
    services.evidence_attach(
        claim_id=claim.pk, item_id=image.pk, actor=reporter, relation="supports"
    )
    with AIS.open("rb") as upload:
        ais = evidence_add_ais(
            team=team,
            actor=editor,
            upload=upload,
            filename=AIS.name,
            enqueue=False,
            is_synthetic=True,
        )
    ais_process(item_id=ais.pk)
    return {"claim": claim, "image": image, "ais": ais}


def test_a_backup_restores_into_an_empty_deployment(story, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup), stdout=open(os.devnull, "w"))  # noqa: SIM115
    manifest = json.loads((backup / MANIFEST).read_text())
    names = {entry["name"] for entry in manifest["files"]}
    image, ais = story["image"], story["ais"]
    assert {image.file.name, ais.file.name, image.image.display.name} <= names
    for entry in manifest["files"]:
        data = (backup / "files" / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    with gzip.open(backup / DATABASE, "rt") as dump:
        assert 'model="evidence.aisposition"' not in dump.read()  # derived: re-read

    target = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
        "CELERY_BROKER_URL": "",
    }
    assert manage("migrate", "-v0", env=target).returncode == 0
    restored = manage("restore", str(backup), env=target)
    assert restored.returncode == 0, restored.stderr
    assert f"Restored {len(manifest['files'])} files" in restored.stdout
    assert "every evidence file matches its recorded SHA-256" in restored.stdout
    assert "AIS extracts re-read from their originals: 1" in restored.stdout
    verified = manage("verify_audit", env=target)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(f"OK {story['claim'].team.slug}: ")

    db = sqlite3.connect(tmp_path / "restored.sqlite3")
    rows = dict(db.execute("SELECT id, sha256 FROM evidence_evidenceitem").fetchall())
    files = dict(db.execute("SELECT id, file FROM evidence_evidenceitem").fetchall())
    for pk in (image.pk, ais.pk):
        data = (tmp_path / "restored-media" / files[pk]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == rows[pk]
    kept = db.execute(
        "SELECT count(*) FROM evidence_aisposition WHERE extract_id = ?", [ais.pk]
    ).fetchone()[0]
    assert kept == ais.ais.rows_kept
    texts = db.execute("SELECT text FROM provenance_claim").fetchall()
    assert texts == [("Ships left Rajin.",)]


def test_restore_refuses_a_deployment_that_is_not_empty(story, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup), stdout=open(os.devnull, "w"))  # noqa: SIM115
    with pytest.raises(BackupError, match="not empty"):
        restore(backup)


def test_a_damaged_file_in_the_backup_fails_the_restore(team, tmp_path, add_image):  # noqa: F811
    item = add_image("exif_gps.jpg")
    backup = tmp_path / "backup"
    call_command("backup", str(backup), stdout=open(os.devnull, "w"))  # noqa: SIM115
    damaged = backup / "files" / item.file.name
    data = bytearray(damaged.read_bytes())
    data[100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    target = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
    }
    assert manage("migrate", "-v0", env=target).returncode == 0
    restored = manage("restore", str(backup), env=target)
    assert restored.returncode == 1
    assert f"{item.file.name}: SHA-256 differs from the manifest" in restored.stderr
    assert f"evidence #{item.pk} ({item.file.name}): SHA-256 differs" in restored.stderr


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path, db):
    (tmp_path / "old.txt").write_text("x")
    with pytest.raises(Exception, match="is not empty"):
        call_command("backup", str(tmp_path))


def test_a_deployment_without_files_backs_up_an_empty_file_list(team, tmp_path):
    EvidenceItemFactory(team=team)
    call_command("backup", str(tmp_path / "b"), stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert json.loads((tmp_path / "b" / MANIFEST).read_text())["files"] == []
