from django.conf import settings
from django.core.management.base import BaseCommand

from provenance.demo.loader import load_demo
from provenance.demo.story import DEMO_USERS
from provenance.teams.models import Role


class Command(BaseCommand):
    help = "Load the demo story (North Korean munitions to Russia, 2023). Idempotent."

    def handle(self, *args, **options) -> None:
        demo = load_demo()
        verb = "Loaded" if demo.created else "Already loaded; nothing changed in"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} the demo team '{demo.team.name}'.")
        )
        self.stdout.write("Log in at http://127.0.0.1:8000/login/ as:")
        for username, (password, role) in DEMO_USERS.items():
            needs = settings.SECOND_FACTOR_REQUIRED and role != Role.REPORTER
            factor = (
                "password + second factor (set one up at first login)"
                if needs
                else "password only"
            )
            self.stdout.write(f"  {role:<9} {username} / {password}   {factor}")
        if settings.SECOND_FACTOR_REQUIRED:
            self.stdout.write(
                "Second factor: REQUIRED for editors and admins "
                "(SECOND_FACTOR_REQUIRED on). Security keys need "
                "http://localhost:8000, not 127.0.0.1."
            )
        else:
            self.stdout.write(
                "Second factor: NOT required in this demo (SECOND_FACTOR_REQUIRED "
                "off); anyone may add one at /account/security/."
            )
