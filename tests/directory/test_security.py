"""Security headers on every page type, inline-code-free pages, errors that reveal nothing,
the HTTPS redirect, probes on a bare IP address, the admin's address and session expiry."""

import importlib
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import Resolver404, clear_url_caches, path, resolve
from django.utils import timezone

from ..factories import AreaFactory, InitiativeFactory

pytestmark = pytest.mark.django_db

# The public paths README.md lists; a page type is checked once its URL exists.
LISTING_PATHS = ["/initiatives/"]
INSIGHTS_PATHS = ["/insights/"]
AREAS_PATHS = ["/areas/"]
SUGGEST_PATHS = ["/suggest/"]
API_PATHS = ["/api/v1/services/", "/api/v1/services", "/api/v1/"]
CSV_PATHS = ["/initiatives/export.csv"]


def first_existing(paths: list[str]) -> str | None:
    """The first of `paths` that the URLconf serves, or None while the page is not built."""
    for candidate in paths:
        try:
            resolve(candidate.split("?")[0])
        except Resolver404:
            continue
        return candidate
    return None


def page_urls(initiative, area) -> dict[str, str | None]:
    """One URL per public page type (None for types not built yet)."""
    listing = first_existing(LISTING_PATHS)
    return {
        "home": "/",
        "listing": listing,
        "listing with filters": listing and f"{listing}?q=garden&role=campaigning&page=1",
        "detail": initiative.get_absolute_url(),
        "area": area.get_absolute_url(),
        "areas index": first_existing(AREAS_PATHS),
        "insights": first_existing(INSIGHTS_PATHS),
        "suggest": first_existing(SUGGEST_PATHS),
        "api": first_existing(API_PATHS),
        "csv": first_existing(CSV_PATHS),
    }


PAGE_TYPES = [
    "home",
    "listing",
    "listing with filters",
    "detail",
    "area",
    "areas index",
    "insights",
    "suggest",
    "api",
    "csv",
    "admin login",
    "404",
    "healthz",
]


@pytest.fixture
def published():
    area = AreaFactory(name="Wrexham")
    initiative = InitiativeFactory(name="KeyRing allotments", areas=[area])
    return initiative, area


def url_for(page_type: str, initiative, area) -> str:
    special = {
        "admin login": f"/{settings.ADMIN_PATH}login/",
        "404": "/no-such-page/",
        "healthz": "/healthz",
    }
    url = special.get(page_type) or page_urls(initiative, area)[page_type]
    if url is None:
        pytest.skip(f"the {page_type} page is not built yet")
    return url


def read(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_every_page_type_sends_the_security_headers(client, published, page_type):
    url = url_for(page_type, *published)
    # As the load balancer forwards an HTTPS request.
    response = client.get(url, secure=True)
    read(response)
    assert response.status_code == (404 if page_type == "404" else 200)

    csp = response["Content-Security-Policy"]
    directives = {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in csp.split(";")) if part
    }
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert sorted(directives["img-src"]) == ["'self'", "data:"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp

    assert "max-age=31536000" in response["Strict-Transport-Security"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("geolocation", "camera", "microphone", "payment", "usb"):
        assert f"{feature}=()" in permissions
    assert response["X-Request-ID"]


class InlineCodeFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts and styles,
    event-handler attributes and javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._script_without_src = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script":
            # JSON data blocks are never executed, so CSP allows them.
            data_block = (attributes.get("type") or "").endswith("json")
            self._script_without_src = "src" not in attributes and not data_block
        for name, value in attrs:
            if name == "style":
                self.found.append(f'style="{value}" on <{tag}>')
            elif name.startswith("on"):
                self.found.append(f"{name} handler on <{tag}>")
            elif name in {"href", "src", "action", "formaction"} and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL on <{tag}>")

    def handle_data(self, data):
        if self._script_without_src and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script_without_src = False


def inline_code(html: str) -> list[str]:
    """Everything in `html` that the site's Content-Security-Policy would block."""
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.found


@pytest.mark.parametrize(
    "page_type",
    [
        "home",
        "listing",
        "listing with filters",
        "detail",
        "area",
        "areas index",
        "insights",
        "suggest",
        "404",
    ],
)
def test_public_pages_have_no_inline_script_or_style(client, published, page_type):
    response = client.get(url_for(page_type, *published))
    assert inline_code(read(response)) == []


def test_admin_pages_have_no_inline_script_or_style(client, admin_user, published):
    """The policy applies to the admin too, so its pages must work without inline code."""
    assert inline_code(client.get(f"/{settings.ADMIN_PATH}login/").content.decode()) == []
    client.force_login(admin_user)
    initiative, _ = published
    admin_pages = [
        "",
        "initiatives/initiative/",
        "initiatives/initiative/add/",
        f"initiatives/initiative/{initiative.pk}/change/",
        "initiatives/organisation/",
    ]
    for page in admin_pages:
        response = client.get(f"/{settings.ADMIN_PATH}{page}")
        assert response.status_code == 200, page
        assert inline_code(response.content.decode()) == [], page


def test_inline_code_finder_finds_what_csp_blocks():
    html = (
        '<script>alert(1)</script><script src="/static/a.js"></script>'
        '<script type="application/json">{"a": 1}</script>'
        '<p style="color:red" onclick="x()"><a href=" JavaScript:go()">x</a></p><style>p{}</style>'
    )
    assert len(inline_code(html)) == 5


def boom(request):
    raise RuntimeError("secret detail: DATABASES password hunter2")


# Test-only URLconf: the site's URLs plus a view that raises.
urlpatterns = [path("boom/", boom)]
handler404 = "directory.views.page_not_found"
handler500 = "directory.views.server_error"


@pytest.fixture
def boom_urls():
    import directory.urls

    urlpatterns[1:] = directory.urls.urlpatterns
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        yield
    del urlpatterns[1:]


def test_a_server_error_shows_no_stack_trace_or_settings(boom_urls):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", secure=True)
    assert response.status_code == 500
    page = response.content.decode()
    for leak in (
        "Traceback",
        "RuntimeError",
        "hunter2",
        "DATABASES",
        "SECRET_KEY",
        settings.SECRET_KEY,
        str(settings.BASE_DIR),
        "site-packages",
    ):
        assert leak not in page
    assert "Content-Security-Policy" in response.headers
    assert response["X-Request-ID"]


def test_an_unknown_page_shows_no_url_patterns(client):
    page = client.get("/no-such-page/").content.decode()
    assert "Using the URLconf" not in page
    assert "healthz" not in page


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https():
    response = Client().get("/", HTTP_HOST="localhost")
    assert response.status_code == 301
    assert response["Location"] == "https://localhost/"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_the_load_balancers_https_header_is_trusted():
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    response = Client().get("/", HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert "Strict-Transport-Security" in response


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["directory.example.org"])
def test_healthz_answers_plain_http_probes_on_an_ip_address():
    client = Client()
    # A probe from the load balancer or the container: plain HTTP, a bare IP address.
    response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert client.head("/healthz", HTTP_HOST="10.0.3.7").status_code == 200
    # Every other page still insists on HTTPS and a known host.
    assert client.get("/", HTTP_HOST="directory.example.org").status_code == 301
    unknown_host = client.get("/", HTTP_HOST="10.0.3.7", HTTP_X_FORWARDED_PROTO="https")
    assert unknown_host.status_code == 400


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["directory.example.org"])
def test_healthz_with_a_hostile_host_header_still_answers_only_the_health():
    response = Client().get("/healthz", HTTP_HOST="evil.example.com/<script>")
    assert response.status_code == 200
    assert "evil" not in response.content.decode()
    assert "Location" not in response


@pytest.fixture
def reload_urls():
    """Re-import the URLconf after a settings change, and restore it afterwards."""
    import directory.urls

    def reload():
        importlib.reload(directory.urls)
        clear_url_caches()

    yield reload
    reload()


def test_the_admin_address_is_configurable(admin_user, reload_urls):
    with override_settings(ADMIN_PATH="curators-7f3a/"):
        reload_urls()
        client = Client()
        assert client.get("/admin/login/").status_code == 404
        assert client.get("/curators-7f3a/login/").status_code == 200
        client.force_login(admin_user)
        assert client.get("/curators-7f3a/").status_code == 200


def test_a_curators_session_expires(client, admin_user):
    assert settings.SESSION_COOKIE_AGE <= 60 * 60 * 12
    client.force_login(admin_user)
    admin_home = f"/{settings.ADMIN_PATH}"
    assert client.get(admin_home).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(admin_home)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
