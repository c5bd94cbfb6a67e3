"""Create the peer's database, an app, and two access tokens; print them as JSON.

One token carries the `introspection` scope (the resource server's, sent as a Bearer token), the other
is the token being inspected. Run with the peer venv's python, DOTBENCH_DB set.
"""

import json
import os
import secrets
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dotbench.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import AccessToken, Application  # noqa: E402

call_command("migrate", verbosity=0)
user = get_user_model().objects.create_user("bench", password=secrets.token_urlsafe(16))
app = Application.objects.create(name="Bench", user=user, client_type=Application.CLIENT_CONFIDENTIAL,
                                 authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS)
expires = timezone.now() + timedelta(days=1)
introspector = AccessToken.objects.create(user=None, application=app, token=secrets.token_urlsafe(30),
                                          expires=expires, scope="introspection")
inspected = AccessToken.objects.create(user=user, application=app, token=secrets.token_urlsafe(30),
                                       expires=expires, scope="read")
print(json.dumps({"introspector": introspector.token, "token": inspected.token}))
