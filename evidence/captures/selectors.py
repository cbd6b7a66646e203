"""Reads for the replay of captures: the signed source a replay may fetch, and
the records a WACZ's index lists (cached by the file's SHA-256: a stored file
never changes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core import signing
from django.core.cache import cache
from django.http import Http404

from evidence.captures import replay
from evidence.models import CaptureFile
from provenance.teams.models import Membership

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User

_SALT = "evidence.captures.replay"
# How long the item page's replay frame may fetch its WACZ.
REPLAY_TOKEN_SECONDS = 6 * 60 * 60


def replay_token(*, record: CaptureFile, user: User, framed_by: str) -> str:
    """A signed, expiring capability to read one WACZ on the replay origin, for
    one user (still a member of its team when used), framed by one origin."""
    return signing.dumps(
        {"f": record.pk, "u": user.pk, "o": framed_by}, salt=_SALT, compress=True
    )


def replay_file_for_token(token: str) -> tuple[CaptureFile, str, int]:
    """The WACZ a replay token opens, the origin that may frame it, the user's
    id; 404 for a bad or expired token or a user no longer of the team."""
    try:
        claims = signing.loads(token, salt=_SALT, max_age=REPLAY_TOKEN_SECONDS)
    except signing.BadSignature as exc:
        raise Http404("This replay link is not valid (or has expired).") from exc
    try:
        record = CaptureFile.objects.select_related("capture__item").get(
            pk=claims["f"], role=CaptureFile.Role.WACZ
        )
    except (CaptureFile.DoesNotExist, KeyError, TypeError) as exc:
        raise Http404("No such capture file.") from exc
    if not Membership.objects.filter(
        user_id=claims.get("u"), team_id=record.capture.item.team_id
    ).exists():
        raise Http404("No such capture file.")
    return record, str(claims.get("o", "")), int(claims["u"])


def wacz_records(record: CaptureFile) -> replay.RecordList:
    """The WARC records the WACZ's index lists (replay's no-JS fallback)."""
    key = f"evidence:wacz-records:v1:{record.sha256}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        with record.file.open("rb") as handle:
            records = replay.wacz_records(handle)
    except FileNotFoundError:
        return replay.RecordList([], is_cut=False, problem="The WACZ is missing.")
    cache.set(key, records, timeout=24 * 60 * 60)
    return records
