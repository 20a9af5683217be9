"""Read replicas: which database each read and write goes to."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from directory import routers
from directory.middleware import PrimaryDatabaseMiddleware
from directory.routers import PrimaryReplicaRouter, use_primary
from initiatives.models import Area, Initiative, Organisation

from ..factories import InitiativeFactory
from ..processes import run_django

router = PrimaryReplicaRouter()


def test_public_reads_go_to_the_replica():
    for model in (Initiative, Organisation, Area):
        assert router.db_for_read(model) == "replica"


def test_accounts_and_sessions_are_read_from_the_primary():
    # A curator who has just signed in must be found on the next request.
    assert router.db_for_read(User) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Session) == DEFAULT_DB_ALIAS


def test_the_shared_figures_cache_is_read_from_the_primary():
    # The register's version there must never lag behind a change a curator just made.
    from django.core.cache.backends.db import DatabaseCache

    entry = DatabaseCache("directory_figures_cache", {}).cache_model_class
    assert router.db_for_read(entry) == DEFAULT_DB_ALIAS
    assert router.db_for_write(entry) == DEFAULT_DB_ALIAS


def test_writes_go_to_the_primary():
    for model in (Initiative, Organisation, User, Session):
        assert router.db_for_write(model) == DEFAULT_DB_ALIAS


def test_use_primary_sends_reads_to_the_primary_inside_the_block_only():
    with use_primary():
        assert router.db_for_read(Initiative) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Initiative) == "replica"


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "initiatives") is True
    assert router.allow_migrate("replica", "initiatives") is False
    assert router.allow_relation(Initiative(), Organisation()) is True


@pytest.fixture
def count_only_the_sites_transactions(monkeypatch):
    """Each test runs in a transaction of its own; the router should see only the site's."""
    baseline = len(connection.atomic_blocks)
    monkeypatch.setattr(routers, "in_transaction", lambda: len(connection.atomic_blocks) > baseline)


@pytest.mark.django_db
@pytest.mark.usefixtures("count_only_the_sites_transactions")
def test_reads_inside_a_transaction_go_to_the_primary():
    assert router.db_for_read(Initiative) == "replica"
    with transaction.atomic():
        assert router.db_for_read(Initiative) == DEFAULT_DB_ALIAS
    assert router.db_for_read(Initiative) == "replica"


def primary_required_during(request) -> bool:
    seen = []

    def view(request):
        seen.append(routers.primary_required())
        return HttpResponse()

    PrimaryDatabaseMiddleware(view)(request)
    return seen[0]


@pytest.mark.parametrize(
    ("method", "url", "primary"),
    [
        ("get", "/initiatives/", False),
        ("head", "/areas/wrexham/", False),
        ("get", f"/{settings.ADMIN_PATH}initiatives/initiative/", True),
        ("get", f"/{settings.ADMIN_PATH}login/", True),
        ("post", "/suggest/", True),
        ("post", f"/{settings.ADMIN_PATH}login/", True),
    ],
)
def test_the_admin_and_every_non_read_request_use_the_primary(method, url, primary):
    request = getattr(RequestFactory(), method)(url)
    assert primary_required_during(request) is primary


@override_settings(ADMIN_PATH="curators/")
def test_the_admin_is_found_at_its_configured_address():
    assert primary_required_during(RequestFactory().get("/curators/")) is True
    assert primary_required_during(RequestFactory().get("/admin/")) is False


class RecordingRouter(PrimaryReplicaRouter):
    """Records each decision but uses the one test database for all of them."""

    decisions: list[tuple[str, str]] = []

    def db_for_read(self, model, **hints):
        self.decisions.append((model._meta.label, super().db_for_read(model, **hints)))
        return DEFAULT_DB_ALIAS


@pytest.fixture
def recording_router():
    RecordingRouter.decisions = []
    with override_settings(DATABASE_ROUTERS=[RecordingRouter()]):
        yield RecordingRouter.decisions


@pytest.mark.django_db
@pytest.mark.usefixtures("count_only_the_sites_transactions")
def test_an_admin_request_reads_only_from_the_primary(recording_router, admin_user):
    InitiativeFactory()
    client = Client()
    client.force_login(admin_user)
    recording_router.clear()
    response = client.get(f"/{settings.ADMIN_PATH}initiatives/initiative/")
    assert response.status_code == 200
    assert ("initiatives.Initiative", DEFAULT_DB_ALIAS) in recording_router
    assert {db for _, db in recording_router} == {DEFAULT_DB_ALIAS}


@pytest.mark.django_db
@pytest.mark.usefixtures("count_only_the_sites_transactions")
def test_a_public_page_reads_from_the_replica(recording_router):
    initiative = InitiativeFactory()
    recording_router.clear()
    response = Client().get(initiative.get_absolute_url())
    assert response.status_code == 200
    assert ("initiatives.Initiative", "replica") in recording_router


@pytest.mark.skipif("replica" not in settings.DATABASES, reason="DATABASE_REPLICA_URL is not set")
# Committed writes, since the replica alias reads over a connection of its own.
@pytest.mark.django_db(
    databases=[DEFAULT_DB_ALIAS, "replica"], transaction=True, serialized_rollback=True
)
def test_with_a_real_replica_alias_a_published_record_is_served():
    try:
        initiative = InitiativeFactory(name="Halton ukulele club")
        assert Initiative.objects.using("replica").filter(pk=initiative.pk).exists()
        response = Client().get(initiative.get_absolute_url())
        assert response.status_code == 200
        assert "Halton ukulele club" in response.content.decode()
    finally:
        connections["replica"].close()


SHOW_ROUTING = (
    "from django.conf import settings; from django.db import router; "
    "from initiatives.models import Initiative; "
    "print(sorted(settings.DATABASES), router.db_for_read(Initiative), "
    "router.db_for_write(Initiative), "
    "settings.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'))"
)


def test_database_replica_url_adds_the_replica_and_its_router():
    result = run_django(
        SHOW_ROUTING,
        DATABASE_URL="postgres://directory@primary.internal:5432/directory",
        DATABASE_REPLICA_URL="postgres://directory@replica.internal:5432/directory",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == ("['default', 'replica'] replica default default")


def test_without_a_replica_everything_uses_the_one_database():
    result = run_django(SHOW_ROUTING)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "['default'] default default None"
