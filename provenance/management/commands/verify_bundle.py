"""Check a signed bundle offline; say why it fails. Then check the web captures
it carries: each WACZ signature, each RFC 3161 token for the signed digest and,
with --capture-files, each file's SHA-256 and the WACZ itself."""

from pathlib import Path

import orjson
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.captures import attestation, timestamps
from provenance.publishing import capture_checks, signing


class Command(BaseCommand):
    help = (
        "Verify a signed export bundle against a public key: by default this site's "
        "key; --public-key takes a PEM file or the JSON served at "
        "/.well-known/provenance-signing-key (which also names the capture key). "
        "The captures in it are checked too: signature, time-stamp and, with "
        "--capture-files DIR (holding captures/<id>/<name>), the files. "
        "No network access."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--public-key", help="PEM or well-known JSON file.")
        parser.add_argument(
            "--lenient",
            action="store_true",
            help="Check the signature only; accept a reformatted file.",
        )
        parser.add_argument(
            "--capture-files",
            help="Directory of the captures' files (captures/<id>/<name>).",
        )
        parser.add_argument(
            "--tsa-roots",
            help="PEM bundle of the TSA roots to trust (default: CAPTURE_TSA_ROOTS).",
        )

    def handle(self, *args, **options) -> None:
        try:
            data = Path(options["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        if options["public_key"]:
            try:
                key_file = Path(options["public_key"]).read_bytes()
                public_key = signing.load_public_key(key_file)
            except (OSError, ValueError, KeyError) as exc:
                raise CommandError(f"Cannot load the public key: {exc}") from exc
            capture_key = signing.capture_key_from_document(key_file)
        else:
            public_key = signing.load_private_key().public_key()
            capture_key = attestation.capture_public_key_text()
        result = signing.verify_bundle(
            data, public_key=public_key, strict=not options["lenient"]
        )
        if not result.is_valid:
            raise CommandError(f"INVALID: {result.reason}")
        captures = self._captures(orjson.loads(data)["payload"], capture_key, options)
        self.stdout.write(
            f"OK: {result.reason}; key {result.key_id}; {result.claim_count} claims"
            f"{captures}."
        )

    def _captures(self, payload, capture_key, options) -> str:
        roots_path = options["tsa_roots"] or settings.CAPTURE_TSA_ROOTS
        try:
            roots = (
                timestamps.load_roots(Path(roots_path).read_bytes())
                if roots_path
                else None
            )
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot load the TSA roots: {exc}") from exc
        files = Path(options["capture_files"]) if options["capture_files"] else None
        checks = [
            capture_checks.check_capture(
                capture, expected_key=capture_key, tsa_roots=roots, files=files
            )
            for capture in capture_checks.bundle_captures(payload)
        ]
        bad = [check for check in checks if not check.is_valid]
        if bad:
            raise CommandError(
                "INVALID: "
                + "; ".join(
                    f"capture {check.capture_id}: {', '.join(check.problems)}"
                    for check in bad
                )
            )
        if not checks:
            return ""
        stamped = sum(check.timestamped for check in checks)
        files_checked = sum(check.files_checked for check in checks)
        key_note = "" if capture_key else " (capture key not given: not pinned)"
        return (
            f"; {len(checks)} captures signed{key_note}, {stamped} time-stamped, "
            f"{files_checked} capture files matched"
        )
