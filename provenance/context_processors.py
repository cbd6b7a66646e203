from typing import Any

from django.http import HttpRequest

from provenance.accounts.selectors import current_membership, user_teams


def team(request: HttpRequest) -> dict[str, Any]:
    """The current team and role, for the navigation bar."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = current_membership(request)
    return {
        "membership": membership,
        "current_team": membership.team if membership else None,
        "is_editor": bool(membership and membership.is_editor),
        "user_memberships": user_teams(request.user),
    }
