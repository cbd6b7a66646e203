"""A team's own AIS CSV layouts: saved from the upload form's column mapping, then
chosen on later uploads (or matched by their header).

Invariants: a layout is checked (``layouts.custom_layout``) before it is written;
its name is unique in the team; saving writes the row and its audit event in one
transaction. Any member of the team may save one (it is part of adding evidence,
which any member may do), and only the team's members see or use it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from evidence.ais.layouts import Layout, LayoutError, custom_layout, layout_from_record
from evidence.models import AISLayout
from provenance.audit.chain import audit_record
from provenance.teams.models import Team
from provenance.teams.rules import ensure_member

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


@transaction.atomic
def ais_layout_save(
    *,
    team: Team,
    actor: User,
    name: str,
    mapping: Mapping[str, str],
    time_format: str,
    time_zone: str = "UTC",
    header: Sequence[str],
    sample: Sequence[str] | None = None,
) -> AISLayout:
    """Save a column mapping as the team's layout ``name``.

    Checks membership, the mapping against ``header`` (and the sample row's time
    against ``time_format``) and that the name is free in the team; writes the
    AISLayout and an ``ais_layout.create`` audit event. Raises PermissionDenied or
    ValidationError (nothing written).
    """
    ensure_member(user=actor, team=team)
    name = name.strip()
    if not name:
        raise ValidationError("Give the layout a name.")
    header = [h.strip() for h in header]
    try:
        custom_layout(
            name=name,
            mapping=mapping,
            time_format=time_format,
            time_zone=time_zone,
            header=header,
            sample=sample,
        )
    except LayoutError as exc:
        raise ValidationError(list(exc.errors.values())) from exc
    if AISLayout.objects.filter(team=team, name=name).exists():
        raise ValidationError(f"Your team already has a layout named {name!r}.")
    record = AISLayout(
        team=team,
        name=name,
        mapping={k: v.strip() for k, v in mapping.items() if v and v.strip()},
        time_format=time_format,
        time_zone=time_zone,
        header=header,
        created_by=actor,
    )
    record.full_clean()
    record.save()
    audit_record(
        team=team,
        actor=actor,
        action="ais_layout.create",
        obj=record,
        payload={
            "name": record.name,
            "mapping": record.mapping,
            "time_format": record.time_format,
            "time_zone": record.time_zone,
            "header": record.header,
        },
    )
    return record


def layout_of(record: AISLayout) -> Layout:
    """A saved layout as the parser's Layout."""
    return layout_from_record(
        record.name, record.mapping, record.time_format, record.time_zone, record.header
    )


def ensure_team_layout(*, record: AISLayout, team: Team) -> None:
    """A layout is used only by its own team."""
    if record.team_id != team.pk:
        raise PermissionDenied("That layout belongs to another team.")
