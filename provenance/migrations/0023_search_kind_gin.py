"""Search speed (issue 17): one GIN index on the document vector per kind (partial
indexes) instead of one over every document.

A kind's GIN path (search.pg) then reads only that kind's posting lists: at 1.1
million documents, 100,000 of them claims, "munitions carrier" over the claims
read 9,600 matches of every kind from the one index and ANDed them with the team's
35,000 claims (20 ms) where the claims' own index holds under a tenth
(bench/search.py). The indexes together are the size of the one they replace, and a
document still enters one of them. PostgreSQL only. Also: the document's team
index goes (the recency index covers it).
"""

import django.db.models.deletion
from django.db import migrations, models

KINDS = ("claim", "statement", "evidence", "entity", "comment")
TABLE = "provenance_searchdocument"


def _on_postgresql(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(sql, params=None)


def forwards(apps, schema_editor):
    for kind in KINDS:
        _on_postgresql(
            schema_editor,
            f"CREATE INDEX search_vector_{kind} ON {TABLE} USING gin (vector) "
            f"WHERE kind = '{kind}'",
        )
    _on_postgresql(schema_editor, "DROP INDEX IF EXISTS search_vector_gin")


def backwards(apps, schema_editor):
    _on_postgresql(
        schema_editor, f"CREATE INDEX search_vector_gin ON {TABLE} USING gin (vector)"
    )
    for kind in KINDS:
        _on_postgresql(schema_editor, f"DROP INDEX IF EXISTS search_vector_{kind}")


class AlterFieldNotOnSQLite(migrations.AlterField):
    """On SQLite, dropping a column's index rebuilds the table, which drops the
    FTS5 table's triggers (0014) with it: the index stays there (SQLite's tables
    are small), the state changes alike."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("provenance", "0022_maps21_estimate_annotation_revision")]

    operations = [
        migrations.RunPython(forwards, backwards),
        # The document's team needs no index of its own: (team, kind, updated_at)
        # leads with it, and each index costs every document write.
        AlterFieldNotOnSQLite(
            model_name="searchdocument",
            name="team",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="provenance.team",
            ),
        ),
    ]
