#!/usr/bin/env python3
"""Creates the interoperability suite's clients and user in django-oauth-toolkit's database and prints
them as one JSON line: a confidential client with the password grant, a client with client credentials,
and a user whose password has &, +, %, a space and a non-ASCII letter."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dot_server.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

fixtures = {
    "password_client": {"id": "qflow-password-client", "secret": "pw-s3cr&t+%é x"},
    "service_client": {"id": "qflow-service-client", "secret": "svc-s3cr&t+%é x"},
    "user": {"name": "special.user", "password": "p&ss+w rd=%é"},
}

user = get_user_model().objects.create_user(fixtures["user"]["name"], password=fixtures["user"]["password"])
for key, grant in (("password_client", Application.GRANT_PASSWORD),
                   ("service_client", Application.GRANT_CLIENT_CREDENTIALS)):
    Application.objects.create(
        name=key,
        client_id=fixtures[key]["id"],
        client_secret=fixtures[key]["secret"],  # hashed on save, as django-oauth-toolkit does by default
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=grant,
        user=user,
    )
print(json.dumps(fixtures))
