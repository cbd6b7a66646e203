import pytest

from provenance.claims.markup import render_comment
from provenance.claims.mentions import mentioned_usernames


def test_mentions_in_order_each_once():
    text = "@ana, ask @bob.smith. Then @ana again"
    assert mentioned_usernames(text) == ["ana", "bob.smith"]


def test_an_email_address_and_code_are_not_mentions():
    assert mentioned_usernames("mail ana@example.org or `@bob`") == []


def test_a_trailing_dot_ends_the_mention():
    assert mentioned_usernames("thanks @ana.") == ["ana"]


def test_markdown_light_renders_emphasis_code_and_links():
    html = render_comment("**bold** *it* `code` [a](https://example.org)")
    assert html == (
        "<p><strong>bold</strong> <em>it</em> <code>code</code> "
        '<a href="https://example.org" rel="nofollow noopener noreferrer">a</a></p>\n'
    )


def test_members_mentions_are_marked_others_stay_text():
    html = render_comment("@ana and @zed", members={"ana"})
    assert html == '<p><span class="mention">@ana</span> and @zed</p>\n'


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
        (
            "<img src=x onerror=alert(1)>",
            "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n",
        ),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
        ("[x](JaVaScRiPt:alert(1))", "<p>[x](JaVaScRiPt:alert(1))</p>\n"),
        ("[x](data:text/html,<b>)", "<p>[x](data:text/html,&lt;b&gt;)</p>\n"),
        ("<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>\n"),
        (
            '[x](https://e.org" onmouseover="alert(1))',
            "<p>[x](https://e.org&quot; onmouseover=&quot;alert(1))</p>\n",
        ),
        (
            "![img](https://e.org/p.png)",
            '<p>!<a href="https://e.org/p.png" rel="nofollow noopener noreferrer">'
            "img</a></p>\n",
        ),
        ('@"><b>x', "<p>@&quot;&gt;&lt;b&gt;x</p>\n"),
    ],
)
def test_xss_payloads_render_inert(payload, expected):
    assert render_comment(payload, members={"ana"}) == expected
