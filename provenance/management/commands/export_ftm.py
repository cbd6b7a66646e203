"""Write a team's entities, relationships and sanctions designations as
FollowTheMoney JSON lines (entities.ftm_export), to a file or standard output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from provenance.entities.ftm_export import ftm_lines
from provenance.teams.models import Team


class Command(BaseCommand):
    help = "Export a team's entities and relationships as FtM JSON lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", required=True, help="Team slug.")
        parser.add_argument("--output", type=Path, help="File (default: stdout).")

    def handle(self, *args: Any, **options: Any) -> None:
        team = Team.objects.filter(slug=options["team"]).first()
        if team is None:
            raise CommandError(f"No team with slug {options['team']!r}")
        output = options["output"]
        if output is None:
            for line in ftm_lines(team=team):
                sys.stdout.buffer.write(line)
            return
        with output.open("wb") as handle:
            for line in ftm_lines(team=team):
                handle.write(line)
