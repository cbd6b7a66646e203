from django.core.management.base import BaseCommand

from provenance.demo.loader import load_demo
from provenance.demo.story import DEMO_USERS


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
            self.stdout.write(f"  {role:<9} {username} / {password}")
