"""Markdown-light for comments: emphasis, code, links, lists and quotes; never raw
HTML. Pure (no ORM): the caller passes which @names are team members.

markdown-it-py with `html` off escapes any tag in the text; links are limited to
http(s) and mailto and carry rel="nofollow noopener noreferrer"; images are off
(a comment would otherwise load a URL of the writer's choosing in readers' browsers).
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from html import escape

from markdown_it import MarkdownIt
from markdown_it.token import Token

from provenance.claims.mentions import MENTION

SAFE_SCHEMES = ("http://", "https://", "mailto:")
LINK_REL = "nofollow noopener noreferrer"


def _validate_link(url: str) -> bool:
    return url.strip().lower().startswith(SAFE_SCHEMES)


def _mentions_rule(state) -> None:
    """Split text tokens outside links at @name into `mention` tokens."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            if token.type == "link_open":
                in_link += 1
            elif token.type == "link_close":
                in_link -= 1
            if token.type != "text" or in_link or "@" not in token.content:
                children.append(token)
                continue
            at = 0
            for match in MENTION.finditer(token.content):
                if match.start() > at:
                    children.append(_text(token.content[at : match.start()]))
                mention = Token("mention", "", 0)
                mention.content = match.group(1)
                children.append(mention)
                at = match.end()
            if at < len(token.content):
                children.append(_text(token.content[at:]))
        block.children = children


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


@cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "breaks": True, "typographer": False})
    md.enable(["emphasis", "backticks", "link", "autolink", "escape", "newline"])
    md.enable(["list", "blockquote", "fence", "code"])
    md.validateLink = _validate_link
    md.core.ruler.push("mentions", _mentions_rule)

    def link_open(self, tokens, idx, options, env) -> str:
        tokens[idx].attrSet("rel", LINK_REL)
        return self.renderToken(tokens, idx, options, env)

    def mention(self, tokens, idx, options, env) -> str:
        name = tokens[idx].content
        if name in env.get("members", ()):
            return f'<span class="mention">@{escape(name)}</span>'
        return f"@{escape(name)}"

    md.add_render_rule("link_open", link_open)
    md.add_render_rule("mention", mention)
    return md


def render_comment(text: str, *, members: Collection[str] = ()) -> str:
    """The comment as safe HTML; @names of `members` are marked as mentions."""
    return _parser().render(text, {"members": frozenset(members)})
