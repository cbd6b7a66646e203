"""collectstatic with the production storage (DEBUG off): every static file the
project ships is post-processed; only a missing source map is tolerated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from provenance.common.static_storage import StaticStorage

PRODUCTION = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "provenance.common.static_storage.StaticStorage"},
}


def test_collectstatic_succeeds_with_the_production_storage(tmp_path: Path) -> None:
    with override_settings(STORAGES=PRODUCTION, STATIC_ROOT=tmp_path):
        call_command("collectstatic", interactive=False, verbosity=0)
    paths = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    annotorious = paths["vendor/annotorious-2.7.14/annotorious.min.js"]
    leaflet = paths["vendor/leaflet-1.9.4/leaflet.js"]
    # The map npm does not ship: the reference stays as written.
    assert (
        (tmp_path / annotorious)
        .read_text()
        .endswith("//# sourceMappingURL=annotorious.umd.js.map\n")
    )
    # A map that is shipped is hashed as before.
    leaflet_map = Path(paths["vendor/leaflet-1.9.4/leaflet.js.map"]).name
    assert f"//# sourceMappingURL={leaflet_map}" in (tmp_path / leaflet).read_text()
    assert (tmp_path / (annotorious + ".br")).exists()


def test_a_missing_file_other_than_a_source_map_still_fails(tmp_path: Path) -> None:
    (tmp_path / "site.css").write_text("body { background: url('gone.png'); }\n")
    storage = StaticStorage(location=tmp_path)
    errors = [
        result[2]
        for result in storage.post_process({"site.css": (storage, "site.css")})
        if isinstance(result[2], Exception)
    ]
    assert len(errors) == 1
    assert "gone.png" in str(errors[0])


def test_a_missing_source_map_in_css_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "lib.css").write_text("a{}\n/*# sourceMappingURL=lib.css.map */\n")
    storage = StaticStorage(location=tmp_path)
    results = list(storage.post_process({"lib.css": (storage, "lib.css")}))
    assert not [r for r in results if isinstance(r[2], Exception)]
    hashed = next(r[1] for r in results if r[0] == "lib.css")
    assert (
        (tmp_path / hashed)
        .read_text()
        .endswith("/*# sourceMappingURL=lib.css.map */\n")
    )


pytestmark = pytest.mark.django_db(False)
