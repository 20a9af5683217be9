"""App servers keep no state of their own, so any number can run behind a load balancer."""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.db.models import FileField
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

TEN_YEARS = 10 * 365 * 24 * 60 * 60


def test_sessions_live_in_the_database_or_in_signed_cookies():
    assert settings.SESSION_ENGINE in {
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.signed_cookies",
    }


def test_no_model_writes_uploaded_files_to_the_servers_disk():
    file_fields = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, FileField)
    ]
    assert file_fields == []


def test_hashed_static_files_are_cached_for_years(tmp_path):
    """As in the container: collectstatic writes hashed copies, WhiteNoise serves them."""
    with override_settings(
        STATIC_ROOT=tmp_path,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
        # The site's own files only: compressing the admin's takes many seconds.
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        hashed_url = staticfiles_storage.url("css/site.css")
        assert hashed_url != "/static/css/site.css"

        client = Client()
        hashed = client.get(hashed_url)
        assert hashed.status_code == 200
        assert f"max-age={TEN_YEARS}" in hashed["Cache-Control"]
        assert "immutable" in hashed["Cache-Control"]
        compressed = client.get(hashed_url, HTTP_ACCEPT_ENCODING="gzip")
        assert compressed["Content-Encoding"] == "gzip"

        # The unhashed name may change under the same URL, so it is cached briefly.
        plain = client.get("/static/css/site.css")
        assert plain.status_code == 200
        assert f"max-age={TEN_YEARS}" not in plain["Cache-Control"]
