"""@mentions in a comment's text: pure, no ORM. Which names are members of the
comment's team is the service's question (`comments._mentioned_members`)."""

from __future__ import annotations

import re

# Django's usernames: letters, digits and @.+-_. A mention starts after a space or
# punctuation (not inside an email address) and ends before a trailing dot or dash,
# so "thanks @ana." names "ana".
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+])")


def mentioned_usernames(text: str) -> list[str]:
    """The usernames mentioned, in order of first appearance, each once. Text in
    backticks is code, not a mention."""
    text = re.sub(r"`[^`]*`", " ", text)
    seen: dict[str, None] = {}
    for match in MENTION.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)
