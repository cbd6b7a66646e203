"""Back up and restore a deployment: the database and the object store together.

A backup is a folder: ``database.xml.gz`` (Django's own ``dumpdata``, engine
independent, so a SQLite deployment restores into PostgreSQL and back), ``files/``
(every object of the default storage, local disk or S3, copied as stored) and
``manifest.json`` (each file's name, size and SHA-256, the Django and schema
versions). Every original is checked against the SHA-256 recorded at upload as it
is copied: a mismatch is audited on its item, listed in the manifest's
``problems`` and fails the backup (BackupError) once every file is copied.
Restoring needs an empty, migrated deployment; it loads the data, writes
the files back under their names, checks every file against the manifest and every
evidence file against the SHA-256 recorded at upload.

AIS positions (``evidence.AISPosition``, millions of rows) are derived data: they are
not dumped; the restore re-reads them from each extract's stored original, so the
dump stays small.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test.utils import override_settings

from evidence import processing
from evidence.ais.services import ais_process
from evidence.models import EvidenceItem, EvidenceKind, ProcessingState
from evidence.services import (
    StoredFileMismatch,
    evidence_integrity_failed,
    hash_upload,
)
from provenance.storage_sweep import walk_storage
from provenance.teams.models import Team

# XML, not JSON: Django's JSON encoder cuts datetimes to milliseconds (the audit
# chain hashes microseconds), and its XML reader streams (JSON is read whole).
DATABASE = "database.xml.gz"
MANIFEST = "manifest.json"
FILES = "files"
FORMAT = 1
# Rebuilt by migrate (contenttypes, permissions), per-session or derived state.
EXCLUDED = (
    "contenttypes",
    "auth.permission",
    "sessions",
    "admin.logentry",
    "axes",
    "evidence.aisposition",
)


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why."""


@dataclass
class RestoreReport:
    files: int = 0
    bytes: int = 0
    ais_reread: int = 0
    problems: list[str] = field(default_factory=list)


def _sha256(storage: Storage, name: str) -> str:
    with storage.open(name, "rb") as handle:
        return hash_upload(handle)[0]


def backup(target: Path, *, progress: Callable[[str], None] = lambda _: None) -> dict:
    """Write a backup of the database and every stored file into `target` (a new
    or empty folder). Returns the manifest."""
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise BackupError(f"{target} is not empty.")
    with gzip.open(target / DATABASE, "wt", encoding="utf-8") as out:
        call_command(
            "dumpdata",
            natural_foreign=True,  # content types differ between deployments
            exclude=list(EXCLUDED),
            format="xml",
            stdout=out,
            verbosity=0,
        )
    progress(f"database: {(target / DATABASE).stat().st_size} bytes (gzip)")
    files, problems = [], []
    originals = dict(EvidenceItem.objects.exclude(file="").values_list("file", "pk"))
    recorded = dict(EvidenceItem.objects.exclude(file="").values_list("pk", "sha256"))
    for name in walk_storage(default_storage):
        dest = target / FILES / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as src, dest.open("wb") as out:
            sha, size = hash_upload(src, feed=out.write)
        files.append({"name": name, "size": size, "sha256": sha})
        item_id = originals.get(name)
        if item_id is not None and sha != recorded[item_id]:
            # Copied as stored (it is what storage holds), and reported loudly.
            mismatch = StoredFileMismatch(name, recorded=recorded[item_id], found=sha)
            evidence_integrity_failed(item_id=item_id, where="backup", found=sha)
            problems.append(f"evidence #{item_id}: {mismatch}")
    progress(f"files: {len(files)}, {sum(f['size'] for f in files)} bytes")
    manifest = {
        "format": FORMAT,
        "django": django.get_version(),
        "engine": connection.vendor,
        "migrations": len(MigrationRecorder(connection).applied_migrations()),
        "files": files,
        "problems": problems,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1))
    if problems:
        raise BackupError(
            f"The backup in {target} is complete, but {len(problems)} evidence "
            "file(s) differ from the SHA-256 recorded at upload:\n"
            + "\n".join(problems)
        )
    return manifest


def restore(
    source: Path, *, progress: Callable[[str], None] = lambda _: None
) -> RestoreReport:
    """Restore a backup made by `backup` into this empty, migrated deployment."""
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"No readable {MANIFEST} in {source}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    if Team.objects.exists() or EvidenceItem.objects.exists():
        raise BackupError("This deployment is not empty: restore into an empty one.")
    report = RestoreReport()
    for entry in manifest["files"]:
        path = source / FILES / entry["name"]
        with path.open("rb") as handle:
            stored = default_storage.save(entry["name"], File(handle))
        if stored != entry["name"]:
            raise BackupError(f"{entry['name']} was stored as {stored}.")
        if _sha256(default_storage, stored) != entry["sha256"]:
            report.problems.append(f"{stored}: SHA-256 differs from the manifest")
        report.files += 1
        report.bytes += entry["size"]
    progress(f"files: {report.files}, {report.bytes} bytes")
    # The dump holds the history rows themselves: simple-history must not add its
    # own while they load (its m2m handler ignores `raw` saves).
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        call_command("loaddata", str(source / DATABASE), verbosity=0)
    progress("database loaded")
    for item in EvidenceItem.objects.exclude(file="").order_by("pk"):
        if _sha256(default_storage, item.file.name) != item.sha256:
            report.problems.append(
                f"evidence #{item.pk} ({item.file.name}): SHA-256 differs from its "
                "record"
            )
    extracts = EvidenceItem.objects.filter(
        kind=EvidenceKind.AIS,
        processing_state__in=(ProcessingState.DONE, ProcessingState.WARNING),
    ).order_by("pk")
    for item in extracts:
        processing.move(item, processing.PENDING)
        ais_process(item_id=item.pk)
        report.ais_reread += 1
    progress(f"AIS extracts re-read from their originals: {report.ais_reread}")
    return report
