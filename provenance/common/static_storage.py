"""The production static files storage: WhiteNoise's compressed manifest storage,
except that a JS or CSS file's reference to a source map that is not shipped is
left as it is instead of failing collectstatic.

Why: Annotorious 2.7.14's npm package ends annotorious.min.js with
`//# sourceMappingURL=annotorious.umd.js.map` but does not contain that map, and
Django's post-processing raises for any missing referenced file (a known gap:
django/new-features#173). The vendored file stays byte for byte as npm gives it
(its MANIFEST.json records npm's SHA-256); a browser's devtools get a 404 for the
map. Every other missing reference (an image, an import) still fails the deploy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage

_SOURCE_MAP = re.compile(r"^(//|/\*)# (?-i:sourceMappingURL)=")


class StaticStorage(CompressedManifestStaticFilesStorage):
    def url_converter(
        self, name: str, hashed_files: dict, template: str | None = None
    ) -> Callable[[re.Match], str]:
        convert = super().url_converter(name, hashed_files, template)

        def converter(matchobj: re.Match) -> Any:
            try:
                return convert(matchobj)
            except ValueError:
                if _SOURCE_MAP.match(matchobj["matched"]):
                    return matchobj["matched"]
                raise

        return converter
