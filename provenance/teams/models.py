"""Teams, their members and roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class Team(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Every member must use a second factor, whatever their role
    # (provenance/accounts/second_factor.py; editors and admins always must).
    requires_second_factor = models.BooleanField(default=False)
    # Every new link and statement source URL is captured (evidence/captures),
    # queued after the write commits.
    captures_new_sources = models.BooleanField(
        "capture new sources automatically",
        default=False,
        help_text="Capture the page of every new link and statement source URL "
        "(WACZ, screenshot, text) as soon as it is added.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    REPORTER = "reporter", "Reporter"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


class MembershipQuerySet(models.QuerySet):
    def editors(self) -> MembershipQuerySet:
        return self.filter(role__in=[Role.EDITOR, Role.ADMIN])


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REPORTER)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.team} ({self.role})"

    @property
    def is_editor(self) -> bool:
        return self.role in (Role.EDITOR, Role.ADMIN)


def user_label(user: AbstractBaseUser | None) -> str:
    return user.get_username() if user is not None else "system"
