"""Search speed (issue 17): the words "did you mean" picks from, per team, and
the (team, kind, updated_at) index the ranking walks for a kind's recent matches
(it replaces the (team, kind) one, which it covers).

A trigram search over every document title cost hundreds of milliseconds at a
million documents (bench/search.py); over the distinct title words of one team it
is a few thousand rows. PostgreSQL: a GIN trigram index on the word, and 0014's
trigram index on every title dropped (it served only that). The words of existing
documents are filled in here (`reindex` refills them too).
"""

import re

import django.db.models.deletion
from django.db import migrations, models

WORD = re.compile(r"\w+", re.UNICODE)
MIN_WORD, MAX_WORD = 3, 64
BATCH = 2000

POSTGRESQL_INDEX = (
    "CREATE INDEX search_word_trgm ON provenance_searchword "
    "USING gin (word gin_trgm_ops)"
)
# 0014's trigram index of every title served "did you mean" only; the words
# table does now, and a GIN trigram index costs every document write.
POSTGRESQL_DROP_TITLES = "DROP INDEX IF EXISTS search_title_trgm"
POSTGRESQL_TITLES = (
    "CREATE INDEX search_title_trgm ON provenance_searchdocument "
    "USING gin (title_folded gin_trgm_ops)"
)


def words_of(title_folded):
    return {
        w
        for w in WORD.findall(title_folded.lower())
        if MIN_WORD <= len(w) <= MAX_WORD and not w.isdigit()
    }


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_INDEX, params=None)
        schema_editor.execute(POSTGRESQL_DROP_TITLES, params=None)
    SearchDocument = apps.get_model("provenance", "SearchDocument")
    SearchWord = apps.get_model("provenance", "SearchWord")
    pending = set()
    rows = SearchDocument.objects.values_list("team_id", "title_folded")
    for team_id, title in rows.iterator(chunk_size=BATCH):
        pending |= {(team_id, w) for w in words_of(title)}
        if len(pending) >= BATCH:
            SearchWord.objects.bulk_create(
                [SearchWord(team_id=t, word=w) for t, w in pending],
                ignore_conflicts=True,
            )
            pending.clear()
    SearchWord.objects.bulk_create(
        [SearchWord(team_id=t, word=w) for t, w in pending], ignore_conflicts=True
    )


def uninstall(apps, schema_editor):
    """The words table goes with the model, its index with it; the titles'
    trigram index comes back."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_TITLES, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('provenance', '0017_recapture_team_captures_new_sources'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchWord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('word', models.CharField(max_length=64)),
                ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='provenance.team')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('team', 'word'), name='search_word_unique')],
            },
        ),
        migrations.RemoveIndex(
            model_name='searchdocument',
            name='provenance__team_id_59bdeb_idx',
        ),
        migrations.AddIndex(
            model_name='searchdocument',
            index=models.Index(fields=['team', 'kind', '-updated_at'], name='search_document_recent'),
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
