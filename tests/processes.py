"""The site in a Python process of its own, with only the environment a test gives it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the test's own process must not pass on: the site's settings come from the test.
SITE_PREFIXES = ("DJANGO_", "SENTRY_")
SITE_NAMES = frozenset({"DATABASE_URL", "DATABASE_REPLICA_URL"})


def clean_environment(**overrides: str) -> dict[str, str]:
    """This process's environment without the site's settings, plus `overrides`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(SITE_PREFIXES) and name not in SITE_NAMES
    }
    env.update(overrides)
    return env


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run `code` after django.setup(), with production settings unless `env` says otherwise."""
    settings = {
        "DJANGO_SETTINGS_MODULE": "directory.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "k" * 50,
    }
    environment = clean_environment(**{**settings, **env})
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_setting(expression: str, **env: str) -> subprocess.CompletedProcess:
    """Print a settings value (`expression` over `settings`) from a site started in
    development mode with `env`; a bad value shows as a failed start."""
    return run_django(
        f"from django.conf import settings; print({expression})", DJANGO_DEBUG="true", **env
    )
