"""Register the sample relying party (示例接入系统) for ``make run`` and write its
credentials to var/sample-rp.env for the Procfile's ``rp`` process. Idempotent: a
second run with the file in place changes nothing; without the file, the client's
secret is replaced and the file written again."""

import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from oauth2_provider.models import Application

from zhengwu.core import audit
from zhengwu.core.models import Organisation
from zhengwu.identity.oidc import ClientInput, client_register

NAME = "示例接入系统"
SYSTEM = "system:register_sample_rp"


class Command(BaseCommand):
    help = "Register the sample relying party and write var/sample-rp.env."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://localhost:8001")
        parser.add_argument("--issuer", default="http://127.0.0.1:8000/o")
        parser.add_argument(
            "--env-file", default=str(Path(settings.VAR_DIR) / "sample-rp.env")
        )

    @transaction.atomic
    def handle(self, *args, **options):
        base, env_file = options["base_url"].rstrip("/"), Path(options["env_file"])
        application = (
            Application.objects.filter(name=NAME, policy__isnull=False)
            .order_by("pk")
            .first()
        )
        if application is not None and env_file.exists():
            if f"CLIENT_ID={application.client_id}" in env_file.read_text():
                self.stdout.write(f"{NAME} already registered ({env_file})")
                return
        if application is None:
            organisation = Organisation.objects.order_by("pk").first()
            if organisation is None:
                raise CommandError("no organisation: run populate_demo first")
            registered = client_register(
                data=ClientInput(
                    name=NAME,
                    organisation=organisation,
                    redirect_uris=f"{base}/callback",
                    post_logout_redirect_uris=f"{base}/",
                    allowed_scopes=["openid", "profile"],
                    trusted=True,
                ),
                acting_user=None,
                system=SYSTEM,
            )
            application, secret = registered.application, registered.client_secret
        else:
            secret = secrets.token_urlsafe(48)
            application.client_secret = secret  # hashed on save
            application.save(update_fields=["client_secret", "updated"])
            audit.record(
                acting_user=None,
                actor_label=SYSTEM,
                event="identity.client_changed",
                target=application.policy,
                data={
                    "client_id": application.client_id,
                    "changes": {"secret": "reset"},
                },
            )
        env_file.parent.mkdir(parents=True, exist_ok=True)
        env_file.write_text(
            f"ZHENGWU_SAMPLE_RP_ISSUER={options['issuer']}\n"
            f"ZHENGWU_SAMPLE_RP_CLIENT_ID={application.client_id}\n"
            f"ZHENGWU_SAMPLE_RP_CLIENT_SECRET={secret}\n"
            f"ZHENGWU_SAMPLE_RP_BASE_URL={base}\n"
            "ZHENGWU_SAMPLE_RP_PORT=8001\n"
        )
        env_file.chmod(0o600)
        self.stdout.write(f"{NAME} registered: {application.client_id} ({env_file})")
