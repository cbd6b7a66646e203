"""Seeds the test provider from a JSON document on stdin: users (username,
password, email, verified) and one confidential client (client_id, secret,
redirect_uris); prints each user's `sub`. Run again, it adds the redirect URIs
and users it does not have yet."""

import json
import sys

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from oauth2_provider.models import Application

from tests.oidc_provider.validators import UNVERIFIED_GROUP


class Command(BaseCommand):
    def handle(self, *args, **options):
        spec = json.load(sys.stdin)
        unverified, _ = Group.objects.get_or_create(name=UNVERIFIED_GROUP)
        for entry in spec.get("users", []):
            user, created = User.objects.get_or_create(
                username=entry["username"], defaults={"email": entry["email"]}
            )
            if created:
                user.set_password(entry["password"])
                user.save()
                if not entry.get("verified", True):
                    user.groups.add(unverified)
        client = spec.get("client")
        if client:
            app = Application.objects.filter(client_id=client["client_id"]).first()
            if app is None:
                Application.objects.create(
                    name="Provenance",
                    client_id=client["client_id"],
                    client_secret=client["secret"],
                    client_type=Application.CLIENT_CONFIDENTIAL,
                    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
                    redirect_uris=" ".join(client["redirect_uris"]),
                    algorithm=Application.RS256_ALGORITHM,
                    skip_authorization=False,
                )
            else:
                uris = app.redirect_uris.split()
                uris += [u for u in client["redirect_uris"] if u not in uris]
                app.redirect_uris = " ".join(uris)
                app.save(update_fields=["redirect_uris"])
        # Each user's `sub` (django-oauth-toolkit uses the primary key).
        subjects = {u.username: str(u.pk) for u in User.objects.all()}
        self.stdout.write(json.dumps(subjects))
