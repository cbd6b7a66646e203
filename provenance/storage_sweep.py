"""Find (and remove) stored objects that no record names: the leftovers of a node
that died between writing a file and committing its row, or of a delete whose
on-commit file removal never ran.

Every write stores its file first and deletes it again if its transaction does not
commit (``evidence.services.deleted_on_error``); only a process killed in that
window (kill -9, a lost machine) leaves an object behind. The sweep lists every
object of the default storage (local disk or S3), subtracts the names held by any
FileField of any model, and keeps what is younger than the grace period: an upload
in flight on another node has stored its file but not yet committed its row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.core.files.storage import Storage, default_storage
from django.db import models
from django.utils import timezone

DEFAULT_GRACE = timedelta(hours=24)


@dataclass(frozen=True)
class Orphan:
    name: str
    size: int
    modified_at: datetime


def walk_storage(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every object name of the storage, folder by folder."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a local storage nothing was ever written to
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from walk_storage(storage, f"{folder}/{sub}" if folder else sub)


def recorded_names() -> set[str]:
    """Every file name a row holds, over every FileField of every model."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField) and field.concrete:
                names.update(
                    model._default_manager.exclude(**{field.name: ""})
                    .exclude(**{f"{field.name}__isnull": True})
                    .values_list(field.name, flat=True)
                    .iterator()
                )
    return names


def find_orphans(
    *,
    grace: timedelta = DEFAULT_GRACE,
    now: datetime | None = None,
    storage: Storage | None = None,
) -> list[Orphan]:
    """Objects no record names, last written more than ``grace`` before ``now``.

    The storage is listed before the records are read: a file stored and
    committed in between is named by the records; one stored after the listing
    is not seen at all."""
    storage = storage or default_storage
    now = now or timezone.now()
    listed = list(walk_storage(storage))
    held = recorded_names()
    orphans = []
    for name in listed:
        if name in held:
            continue
        modified = storage.get_modified_time(name)
        if now - modified < grace:
            continue  # maybe an upload whose row is about to commit
        orphans.append(Orphan(name, storage.size(name), modified))
    return orphans


def sweep(
    *,
    grace: timedelta = DEFAULT_GRACE,
    delete: bool = False,
    now: datetime | None = None,
    storage: Storage | None = None,
) -> list[Orphan]:
    """The orphans (``find_orphans``), deleted when ``delete``. A name held by a
    record by the time of its deletion (it cannot be: names are never reused,
    ``file_overwrite`` is off) is still checked once more and kept."""
    storage = storage or default_storage
    orphans = find_orphans(grace=grace, now=now, storage=storage)
    if delete and orphans:
        held = recorded_names()
        for orphan in orphans:
            if orphan.name not in held:
                storage.delete(orphan.name)
    return orphans
