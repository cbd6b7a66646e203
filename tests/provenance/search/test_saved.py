"""Saved searches and watchlists: a watched search notifies its owner when a new
claim, statement or evidence item matches; never across teams, never the author."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from evidence.documents.services import evidence_add_link
from provenance.accounts.models import Notification
from provenance.claims.services import claim_create, claim_update
from provenance.search.models import SavedSearch
from provenance.search.services import (
    saved_search_create,
    saved_search_delete,
    saved_search_watch,
)

URL = reverse("provenance:saved-searches")


@pytest.fixture
def watchlist(team, editor):
    return saved_search_create(
        team=team,
        actor=editor,
        name="Vessels",
        query="angara OR 9179701 OR maria",
        is_watched=True,
    )


def notices(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).values_list("title", flat=True)
    )


def test_a_new_matching_claim_notifies_the_watcher(
    world, watchlist, team, reporter, editor
):
    claim = claim_create(
        team=team, actor=reporter, text="The Maria loaded at Vostochny"
    )

    assert notices(editor) == [f"New match for “Vessels”: {claim.text}"]
    assert Notification.objects.get(recipient=editor).url == claim.get_absolute_url()


def test_new_evidence_matching_through_cyrillic_notifies(
    world, watchlist, team, reporter, editor
):
    evidence_add_link(
        team=team,
        actor=reporter,
        url="https://example.org/a",
        title="Фото: Ангара у причала",
    )

    assert notices(editor) == ["New match for “Vessels”: Фото: Ангара у причала"]


def test_edits_and_other_words_do_not_notify(world, watchlist, team, reporter, editor):
    claim = claim_create(team=team, actor=reporter, text="Trains at Tikhoretsk")
    claim_update(
        claim_id=claim.pk,
        actor=reporter,
        expected_version=claim.version,
        text="Trains at Tikhoretsk carried Maria's cargo",
    )

    assert notices(editor) == []


def test_the_author_and_other_teams_are_not_told(
    world, watchlist, team, other_team, editor, outsider
):
    claim_create(team=team, actor=editor, text="The Angara again")
    claim_create(team=other_team, actor=outsider, text="The Angara in team B")

    assert notices(editor) == []


def test_an_unwatched_search_is_silent(world, watchlist, team, reporter, editor):
    saved_search_watch(saved_search_id=watchlist.pk, actor=editor, is_watched=False)
    claim_create(team=team, actor=reporter, text="The Maria again")

    assert notices(editor) == []


def test_only_the_owner_changes_or_deletes_a_saved_search(watchlist, reporter, editor):
    with pytest.raises(PermissionDenied):
        saved_search_delete(saved_search_id=watchlist.pk, actor=reporter)
    saved_search_delete(saved_search_id=watchlist.pk, actor=editor)

    assert SavedSearch.objects.count() == 0


def test_the_page_saves_lists_and_deletes(reporter_client, reporter, team, world):
    response = reporter_client.post(
        URL, {"action": "save", "name": "Angara", "q": "angara -ais", "watch": "on"}
    )
    assert response.status_code == 302
    saved = SavedSearch.objects.get()
    assert (saved.owner, saved.query, saved.is_watched) == (
        reporter,
        "angara -ais",
        True,
    )
    html = reporter_client.get(URL).content.decode()
    assert "<code>angara -ais</code>" in html
    assert "Stop watching" in html

    reporter_client.post(URL, {"action": "delete", "saved_search": saved.pk})
    assert SavedSearch.objects.count() == 0


def test_someone_elses_saved_search_is_not_found(outsider_client, watchlist):
    response = outsider_client.post(
        URL, {"action": "delete", "saved_search": watchlist.pk}
    )

    assert response.status_code == 302
    assert SavedSearch.objects.filter(pk=watchlist.pk).exists()


def test_saving_without_a_query_is_refused(reporter_client, world):
    response = reporter_client.post(URL, {"action": "save", "name": "x", "q": ""})

    assert response.status_code == 400
    assert SavedSearch.objects.count() == 0
