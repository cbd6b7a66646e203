"""Check a signed bundle offline; say why it fails."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from provenance.publishing import signing


class Command(BaseCommand):
    help = (
        "Verify a signed export bundle against a public key: by default this site's "
        "key; --public-key takes a PEM file or the JSON served at "
        "/.well-known/provenance-signing-key. No network access."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--public-key", help="PEM or well-known JSON file.")
        parser.add_argument(
            "--lenient",
            action="store_true",
            help="Check the signature only; accept a reformatted file.",
        )

    def handle(self, *args, **options) -> None:
        try:
            data = Path(options["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        if options["public_key"]:
            try:
                public_key = signing.load_public_key(
                    Path(options["public_key"]).read_bytes()
                )
            except (OSError, ValueError, KeyError) as exc:
                raise CommandError(f"Cannot load the public key: {exc}") from exc
        else:
            public_key = signing.load_private_key().public_key()
        result = signing.verify_bundle(
            data, public_key=public_key, strict=not options["lenient"]
        )
        if not result.is_valid:
            raise CommandError(f"INVALID: {result.reason}")
        self.stdout.write(
            f"OK: {result.reason}; key {result.key_id}; {result.claim_count} claims."
        )
