"""No page, public or admin, breaks its own Content-Security-Policy in a real browser."""

from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings

from tests.directory.test_hostile import plant

from ..factories import InitiativeFactory, OrganisationFactory
from ..sample_register import build_register

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Runs before any of the page's own scripts: collects every violation the browser reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(
        `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
        `at ${event.sourceFile || event.documentURI}:${event.lineNumber}`
    );
});
"""


@pytest.fixture
def csp_page(page):
    page.add_init_script(RECORD_VIOLATIONS)
    return page


def violations(page) -> list[str]:
    """What the browser refused on the current page: events and console reports."""
    reported = page.evaluate("window.__cspViolations || []")
    console = [text for text in page.console_errors if "Content Security Policy" in text]
    return reported + console


def visit(page, url: str) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status < 500, url
    assert "'unsafe-inline'" not in (response.headers.get("content-security-policy") or "")
    page.wait_for_load_state("load")
    return violations(page)


@pytest.fixture
def register():
    reg = build_register()
    InitiativeFactory(name="Wrexham Walking Group", areas=[reg.areas["wrexham"]])
    return reg


PUBLIC_PAGES = [
    "/",
    "/initiatives/",
    "/initiatives/?q=walking&role=service_provider&area=north-west&sort=name",
    "/initiatives/?area=xyz&page=abc",
    "/initiatives/wrexham-walking-group/",
    "/areas/",
    "/areas/wrexham/",
    "/insights/",
    "/suggest/",
    "/no-such-page/",
]


def test_no_public_page_violates_the_policy(csp_page, live_server, register):
    for path in PUBLIC_PAGES:
        assert visit(csp_page, live_server.url + path) == [], path


def test_the_listings_script_runs_within_the_policy(csp_page, live_server, register):
    """static/js runs under the policy: applying a filter leaves the empty fields out
    of the address, which only the script does."""
    csp_page.goto(live_server.url + "/initiatives/")
    checkbox = csp_page.locator("input[type=checkbox]").first
    if checkbox.count() == 0:
        pytest.skip("the listing has no filter checkboxes")
    name, value = checkbox.get_attribute("name"), checkbox.get_attribute("value")
    checkbox.check()
    csp_page.locator(".filters__submit").click()
    csp_page.wait_for_url(f"**{name}={value}**")
    csp_page.wait_for_load_state("load")
    assert urlsplit(csp_page.url).query == urlencode({name: value})
    assert violations(csp_page) == []


def test_no_admin_page_violates_the_policy(csp_page, live_server, register, admin_user):
    admin = f"{live_server.url}/{settings.ADMIN_PATH}"
    assert visit(csp_page, admin + "login/") == []
    csp_page.fill("#id_username", admin_user.username)
    csp_page.fill("#id_password", "password")
    csp_page.click("input[type=submit]")
    csp_page.wait_for_url(admin)
    initiative = register.initiatives[next(iter(register.initiatives))]
    for path in [
        "",
        "initiatives/initiative/",
        "initiatives/initiative/?q=walking",
        "initiatives/initiative/add/",
        f"initiatives/initiative/{initiative.pk}/change/",
        "initiatives/organisation/add/",
        "initiatives/area/",
    ]:
        assert visit(csp_page, admin + path) == [], path
    # The admin's own scripts (date pickers, related-object pop-ups) run within the policy.
    csp_page.goto(admin + "initiatives/initiative/add/")
    today = csp_page.locator(".datetimeshortcuts a").first
    if today.count():
        today.click()
    assert violations(csp_page) == []


def test_hostile_values_never_run_in_the_browser(csp_page, live_server, register):
    initiative = plant(InitiativeFactory(organisation=plant(OrganisationFactory())))
    dialogs = []
    csp_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in [initiative.get_absolute_url(), "/initiatives/?q=script", "/"]:
        assert visit(csp_page, live_server.url + path) == [], path
    # The last page visited was the initiative's: its name is shown as plain text.
    csp_page.goto(live_server.url + initiative.get_absolute_url())
    assert csp_page.locator("h1").inner_text().startswith('<script>alert("xss")</script>')
    assert dialogs == []
