"""Time limits: every PostgreSQL connection starts with a statement and a lock time limit
(longer for management commands), gunicorn has an explicit timeout, and a statement the
database gave up on is a 503 "try again", never a 500."""

import runpy
import subprocess
import sys

import pytest
from django.db import OperationalError
from django.urls import reverse

from ..factories import InitiativeFactory
from ..processes import ROOT, clean_environment, read_setting

POSTGRES = {"DATABASE_URL": "postgres://someone@db.example.org:5432/directory"}


def options(**env) -> str:
    result = read_setting("settings.DATABASES['default']['OPTIONS']['options']", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_web_connections_stop_a_statement_after_5_s_and_a_lock_wait_after_3_s():
    assert options(**POSTGRES) == (
        "-c jit=off -c statement_timeout=5000 -c lock_timeout=3000 "
        "-c idle_in_transaction_session_timeout=60000"
    )


def test_the_limits_come_from_the_environment_and_0_turns_one_off():
    assert options(
        **POSTGRES,
        DJANGO_DB_STATEMENT_TIMEOUT="0",
        DJANGO_DB_LOCK_TIMEOUT="1.5",
        DJANGO_DB_IDLE_IN_TRANSACTION_TIMEOUT="2",
    ) == (
        "-c jit=off -c statement_timeout=0 -c lock_timeout=1500 "
        "-c idle_in_transaction_session_timeout=2000"
    )


def test_an_idle_in_transaction_limit_below_0_stops_the_site_starting():
    result = read_setting("1", **POSTGRES, DJANGO_DB_IDLE_IN_TRANSACTION_TIMEOUT="-1")
    assert result.returncode != 0
    assert "idle_in_transaction_session_timeout must be 0 (off) or more" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_JOB_PROGRESS_SECONDS": "0"}, "DJANGO_JOB_PROGRESS_SECONDS must be more than 0"),
        (
            {"DJANGO_JOB_PROGRESS_SECONDS": "5", "DJANGO_JOB_STALE_SECONDS": "5"},
            "DJANGO_JOB_STALE_SECONDS longer than it",
        ),
        ({"DJANGO_JOB_MAX_ATTEMPTS": "0"}, "DJANGO_JOB_MAX_ATTEMPTS must be 1 or more"),
    ],
)
def test_job_timings_that_would_take_live_jobs_for_dead_ones_stop_the_site_starting(env, message):
    result = read_setting("1", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_limit_that_is_not_a_number_stops_the_site_starting():
    result = read_setting("1", **POSTGRES, DJANGO_DB_LOCK_TIMEOUT="soon")
    assert result.returncode != 0
    assert "DJANGO_DB_LOCK_TIMEOUT must be a number" in result.stderr


def test_management_commands_get_longer_limits():
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; "
            "print(settings.DATABASES['default']['OPTIONS']['options'])",
        ],
        cwd=ROOT,
        env=clean_environment(DJANGO_DEBUG="true", **POSTGRES),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "-c jit=off -c statement_timeout=1800000 -c lock_timeout=60000 "
        "-c idle_in_transaction_session_timeout=60000"
    )


def test_gunicorn_has_an_explicit_timeout_and_the_container_uses_its_config(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.delenv("GUNICORN_TIMEOUT", raising=False)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (config["timeout"], config["workers"], config["bind"]) == (30, 3, "0.0.0.0:9000")
    assert '"--config", "gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text()


def test_a_gunicorn_worker_counts_the_figures_ahead_once_started(settings, monkeypatch):
    """A server just started (its cache emptied, or new) counts the figures most pages
    need in the background, as after a change, before its first visitors ask."""
    import threading

    from initiatives import caching

    settings.FIGURES_WARM = True
    counted = threading.Event()
    monkeypatch.setattr(caching, "_warmers", [counted.set])
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    # Each worker's own cache: every worker would count everything, for itself alone.
    settings.FIGURES_CACHE = "local"
    config["post_worker_init"](worker=None)
    assert not counted.wait(timeout=1)
    settings.FIGURES_CACHE = "redis"  # shared: one worker counts, the others find it
    config["post_worker_init"](worker=None)
    assert counted.wait(timeout=30), "nothing was counted"


class Busy(Exception):
    """Stands in for psycopg's LockNotAvailable: what lock_timeout raises."""

    sqlstate = "55P03"


@pytest.mark.django_db
def test_a_lock_wait_past_the_limit_is_a_503_that_says_try_again(admin_client, monkeypatch):
    from initiatives.curation import bulk

    def lock_timed_out(**kwargs):
        raise OperationalError("canceling statement due to lock timeout") from Busy()

    monkeypatch.setattr(bulk, "rows_lock", lock_timed_out)
    initiative = InitiativeFactory(status="draft")
    response = admin_client.post(
        reverse("admin:initiatives_initiative_changelist"),
        {"action": "publish", "_selected_action": [initiative.pk]},
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert "The register is busy: please try again" in body
    assert "Nothing was saved from this request." in body
    initiative.refresh_from_db()
    assert initiative.status == "draft"
