"""Search (issue 17): the document table, and the index each database searches by.

PostgreSQL: the unaccent and pg_trgm extensions (CREATE EXTENSION needs a role that
may create them: the database owner on PostgreSQL 13+ for these trusted ones), a GIN
index on the tsvector and a GIN trigram index on the folded titles (what "did you
mean" searches; a trigram index of long bodies would slow every write).
SQLite: an FTS5 table (trigram tokenizer) over the folded columns, with the content
kept in the document table and mirrored by triggers, so every insert, update and
delete of a document updates it in the same transaction.

Nothing is backfilled here (the documents are built by project code): run
`manage.py reindex` once after migrating.

Note for later migrations: on SQLite an AlterField of this table rebuilds it and
drops its triggers; such a migration must run SQLITE_TRIGGERS again.
"""


import django.contrib.postgres.search
from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class PostgreSQLOnly:
    """Django's CreateExtension skips other databases going forwards but not
    backwards (it asks pg_extension); unapplying on SQLite must be a no-op too."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Trigram(PostgreSQLOnly, TrigramExtension):
    pass


class Unaccent(PostgreSQLOnly, UnaccentExtension):
    pass


TABLE = "provenance_searchdocument"
FTS = "provenance_search_fts"

POSTGRESQL_INDEXES = f"""
CREATE INDEX search_vector_gin ON {TABLE} USING gin (vector);
CREATE INDEX search_title_trgm ON {TABLE} USING gin (title_folded gin_trgm_ops);
"""
POSTGRESQL_DROP = """
DROP INDEX IF EXISTS search_vector_gin;
DROP INDEX IF EXISTS search_title_trgm;
"""

SQLITE_TABLE = f"""
CREATE VIRTUAL TABLE {FTS} USING fts5(
    title_folded, body_folded,
    content='{TABLE}', content_rowid='id', tokenize='trigram'
)
"""
SQLITE_TRIGGERS = [
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"""CREATE TRIGGER {FTS}_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS}(rowid, title_folded, body_folded)
        VALUES (new.id, new.title_folded, new.body_folded);
    END""",
    f"""CREATE TRIGGER {FTS}_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, title_folded, body_folded)
        VALUES ('delete', old.id, old.title_folded, old.body_folded);
    END""",
    f"""CREATE TRIGGER {FTS}_au AFTER UPDATE ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, title_folded, body_folded)
        VALUES ('delete', old.id, old.title_folded, old.body_folded);
        INSERT INTO {FTS}(rowid, title_folded, body_folded)
        VALUES (new.id, new.title_folded, new.body_folded);
    END""",
]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_INDEXES, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_TABLE, params=None)
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement, params=None)
        # Rows already there (none on a fresh table) join the FTS index.
        schema_editor.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')", params=None)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS[:3]:
            schema_editor.execute(statement, params=None)
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('provenance', '0013_comments_people'),
    ]

    operations = [
        # Both are no-ops on other databases (CreateExtension checks the vendor).
        Trigram(),
        Unaccent(),
        migrations.CreateModel(
            name='SearchDocument',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('claim', 'Claims'), ('statement', 'Statements'), ('evidence', 'Evidence'), ('entity', 'Entities'), ('comment', 'Comments')], max_length=16)),
                ('object_id', models.PositiveBigIntegerField()),
                ('title', models.TextField()),
                ('body', models.TextField(blank=True)),
                ('title_folded', models.TextField()),
                ('body_folded', models.TextField(blank=True)),
                ('url', models.CharField(max_length=500)),
                ('is_restricted', models.BooleanField(default=False)),
                ('is_public', models.BooleanField(default=False)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('vector', django.contrib.postgres.search.SearchVectorField(editable=False, null=True)),
                ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='provenance.team')),
            ],
            options={
                'indexes': [models.Index(fields=['team', 'kind'], name='provenance__team_id_59bdeb_idx')],
                'constraints': [models.UniqueConstraint(fields=('kind', 'object_id'), name='search_document_unique')],
            },
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
