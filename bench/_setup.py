"""Shared bench set-up: a throw-away database, migrated, and Django configured.

BENCH_DATABASE_URL picks the database (default: a temporary SQLite file); the bench
database is created fresh for each run so figures never depend on leftovers.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(default_name: str, *, fresh: bool = True) -> str:
    """`fresh=False` keeps a PostgreSQL bench database that exists (a bench whose
    loading takes minutes may reuse its data; it must check what it finds)."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp()}/{default_name}.sqlite3"
    elif url.startswith("postgres"):
        _recreate_postgres_database(url, fresh=fresh)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "provenance.settings")
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp())
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def _recreate_postgres_database(url: str, *, fresh: bool = True) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists and not fresh:
            return
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
