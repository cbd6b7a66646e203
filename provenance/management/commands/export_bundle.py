"""Write a signed bundle of published claims, as a publisher would download it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from provenance.publishing import signing
from provenance.publishing.exports.builders import ExportUrls
from provenance.publishing.exports.bundles import bundle_payload
from provenance.publishing.exports.queries import readable_claims
from provenance.publishing.models import Publisher
from provenance.teams.models import Team


class Command(BaseCommand):
    help = "Export published claims as an Ed25519-signed bundle (RFC 8785 JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--team", help="All published claims of this team (slug).")
        who.add_argument(
            "--publisher", type=int, help="What this publisher (id) may read."
        )
        parser.add_argument("--output", "-o", required=True, help="File to write.")
        parser.add_argument(
            "--base-url", default="", help="Site URL for absolute links in the claims."
        )

    def handle(self, *args, **options) -> None:
        if options["publisher"] is not None:
            publisher = Publisher.objects.filter(pk=options["publisher"]).first()
            if publisher is None:
                raise CommandError("No such publisher.")
            claims = readable_claims(publisher=publisher)
            teams = list(publisher.teams.all())
        else:
            team = Team.objects.filter(slug=options["team"]).first()
            if team is None:
                raise CommandError("No such team.")
            claims = readable_claims(team=team).published()
            teams = [team]
        payload = bundle_payload(
            claims=claims,
            public=True,
            urls=ExportUrls(options["base_url"]),
            teams=teams,
        )
        body = signing.bundle_bytes(signing.sign_bundle(payload))
        Path(options["output"]).write_bytes(body)
        self.stdout.write(
            f"Wrote {len(payload['claims'])} claims to {options['output']} "
            f"({len(body)} bytes), signed with key "
            f"{signing.key_id(signing.load_private_key().public_key())}."
        )
