"""Generate the OpenID Connect signing key once (``make setup``): writes
ZHENGWU_OIDC_PRIVATE_KEY_FILE (var/oidc-signing-key.pem under ``make run``) when it
does not exist; an existing key is left alone."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhengwu.identity.keys import ensure_private_key_file


class Command(BaseCommand):
    help = "Create the OIDC signing key file if it is missing."

    def handle(self, *args: object, **options: object) -> None:
        name = getattr(settings, "ZHENGWU_OIDC_PRIVATE_KEY_FILE", "")
        if not name:
            raise CommandError("ZHENGWU_OIDC_PRIVATE_KEY_FILE is not set")
        path = Path(name)
        if ensure_private_key_file(path):
            self.stdout.write(f"OIDC signing key written to {path}")
        elif options.get("verbosity", 1):
            self.stdout.write(f"OIDC signing key present: {path}")
