"""Print the OpenAPI document of /api/v1/ (committed as docs/openapi/v1.json).

``make openapi`` writes it; CI regenerates it and fails on a difference, so the
output is deterministic: sorted keys, two-space indent, UTF-8 text, one final newline.
"""

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation


class Command(BaseCommand):
    help = "Print the OpenAPI document of the HTTP API as JSON."

    def handle(self, *args: Any, **options: Any) -> None:
        from zhengwu.api import api

        # Descriptions may be translatable; render them in the project's language.
        with translation.override(settings.LANGUAGE_CODE):
            schema = api.get_openapi_schema()
            document = json.dumps(
                schema,
                cls=DjangoJSONEncoder,
                sort_keys=True,
                indent=2,
                ensure_ascii=False,
            )
        self.stdout.write(document + "\n", ending="")
