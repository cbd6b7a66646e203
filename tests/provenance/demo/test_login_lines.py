"""The demo's printed logins say plainly whether a second factor is needed."""

from io import StringIO

from django.core.management import call_command


def test_the_printed_logins_say_no_second_factor_when_it_is_off(db, settings):
    settings.SECOND_FACTOR_REQUIRED = False
    out = StringIO()
    call_command("load_demo", stdout=out)

    lines = out.getvalue().splitlines()
    assert "  editor    demo-editor / demo-editor-pass   password only" in lines
    assert lines[-1] == (
        "Second factor: NOT required in this demo (SECOND_FACTOR_REQUIRED off); "
        "anyone may add one at /account/security/."
    )


def test_the_printed_logins_say_editors_need_one_when_it_is_on(db, settings):
    settings.SECOND_FACTOR_REQUIRED = True
    out = StringIO()
    call_command("load_demo", stdout=out)

    lines = out.getvalue().splitlines()
    assert "  reporter  demo-reporter / demo-reporter-pass   password only" in lines
    assert (
        "  editor    demo-editor / demo-editor-pass   "
        "password + second factor (set one up at first login)"
    ) in lines
    assert lines[-1].startswith("Second factor: REQUIRED for editors and admins")
