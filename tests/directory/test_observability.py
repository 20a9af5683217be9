"""JSON logs with request ids, the X-Request-ID header, error reports and Sentry's switch."""

import io
import json
import logging

import pytest
from django.test import Client, override_settings
from django.urls import path

from directory.logging import JSONFormatter, configure_sentry, request_id_var

from ..processes import run_django

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """The JSON lines the site writes while the test runs, as dicts."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.addHandler(handler)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)


def test_each_request_writes_one_json_line_with_its_id(client, log_lines):
    response = client.get("/healthz")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    [line] = [line for line in log_lines() if line["logger"] == "directory.request"]
    assert line["request_id"] == request_id
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "INFO"
    assert line["timestamp"].endswith("+00:00")
    assert line["message"] == "GET /healthz 200"


def test_a_streamed_export_is_logged_once_it_has_been_sent(client, log_lines):
    """The CSV is made while it is sent: its one line comes after the last piece, so its
    duration is the whole export's."""
    response = client.get("/initiatives/export.csv?q=walking")
    assert response.streaming
    assert not [line for line in log_lines() if line["logger"] == "directory.request"]
    b"".join(response.streaming_content)
    [line] = [line for line in log_lines() if line["logger"] == "directory.request"]
    assert line["path"] == "/initiatives/export.csv"
    assert line["status"] == 200
    assert line["request_id"] == response["X-Request-ID"]
    assert "walking" not in json.dumps(line)


def test_the_request_log_says_whether_a_page_came_from_the_page_cache(client, log_lines):
    """An operator reading the log (and `make loadtest`'s summary) can tell a page kept
    whole from one made afresh, streamed exports included; /healthz says neither."""
    for url in ("/initiatives/?q=walking", "/initiatives/?q=walking", "/healthz"):
        client.get(url)
    export = client.get("/initiatives/export.csv?q=walking")
    b"".join(export.streaming_content)
    lines = [line for line in log_lines() if line["logger"] == "directory.request"]
    assert [line.get("page_cache") for line in lines] == ["miss", "hit", None, "miss"]
    assert not any(line.get("incomplete") for line in lines)


def test_the_request_log_leaves_out_the_query_string(client, log_lines):
    client.get("/no-such-page/?postcode=SW1A+1AA")
    [line] = [line for line in log_lines() if line["logger"] == "directory.request"]
    assert line["path"] == "/no-such-page/"
    assert line["status"] == 404
    assert "SW1A" not in json.dumps(log_lines())


@pytest.mark.parametrize(
    "incoming",
    ["lb-5f0c2a9e-77d1", "5f0c2a9e-77d1-4c1e-9a0b-3d2f1e0c9b8a", "5f0c2a9e77d14c1e", "A" * 64],
)
def test_a_sane_incoming_request_id_is_kept(client, log_lines, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming
    assert log_lines()[-1]["request_id"] == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        "short",
        "x" * 200,
        "a" * 65,
        "has spaces in it",
        '"><script>alert(1)</script>',
        "id\u202eevil",
        "trace.id.12345678",
        "lb:5f0c2a9e:77d1",
        "lb_5f0c2a9e_77d1",
        "../../etc/passwd",
    ],
)
def test_an_odd_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    replaced = response["X-Request-ID"]
    assert replaced != incoming
    assert len(replaced) == 32
    int(replaced, 16)


def test_every_request_gets_its_own_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/")["X-Request-ID"]
    assert first != second


def test_formatter_writes_one_line_of_json_even_for_awkward_messages():
    record = logging.LogRecord(
        "initiatives.imports", logging.WARNING, __file__, 1, "row %s: %s", (3, 'bad "name"\n'), None
    )
    line = JSONFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == 'row 3: bad "name"\n'
    assert data["level"] == "WARNING"
    assert data["logger"] == "initiatives.imports"
    assert data["request_id"] == "-"


def test_formatter_takes_the_request_id_of_the_request_being_served():
    token = request_id_var.set("abc123def456")
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
        assert json.loads(JSONFormatter().format(record))["request_id"] == "abc123def456"
    finally:
        request_id_var.reset(token)


def boom(request):
    raise ValueError("the register broke")


urlpatterns = [path("boom/", boom)]
handler500 = "directory.views.server_error"


def test_an_error_is_logged_with_its_request_id_and_traceback(log_lines):
    with override_settings(ROOT_URLCONF=__name__):
        response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    [error] = [line for line in log_lines() if line["logger"] == "django.request"]
    assert error["level"] == "ERROR"
    assert error["request_id"] == request_id
    assert error["status"] == 500
    assert "ValueError: the register broke" in error["exception"]
    [access] = [line for line in log_lines() if line["logger"] == "directory.request"]
    assert access["request_id"] == request_id
    assert access["status"] == 500


def test_sentry_is_not_started_without_a_dsn(monkeypatch):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))
    assert configure_sentry("") is False
    assert calls == []


def test_sentry_is_started_with_a_dsn_and_sends_no_personal_data(monkeypatch):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))
    assert configure_sentry("https://public@sentry.example.org/1", environment="staging") is True
    [kwargs] = calls
    assert kwargs["dsn"] == "https://public@sentry.example.org/1"
    assert kwargs["environment"] == "staging"
    assert kwargs["send_default_pii"] is False


def test_the_site_starts_without_sentry_when_no_dsn_is_set():
    result = run_django("import sentry_sdk; print(sentry_sdk.is_initialized())")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_logs_go_to_stdout_as_json():
    result = run_django(
        "import logging; logging.getLogger('initiatives').warning('seeds %s loaded', 12)"
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout.strip())
    assert line["message"] == "seeds 12 loaded"
    assert line["level"] == "WARNING"
