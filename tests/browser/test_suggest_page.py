"""The suggestion forms in a real browser: keyboard only, without JavaScript, and axe-core."""

import pytest

from initiatives.models import Suggestion

from ..factories import InitiativeFactory
from .accessibility import tab_to, wcag_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def initiative():
    return InitiativeFactory(name="KeyRing allotments", summary="Allotments with support.")


def test_the_forms_and_their_pages_have_no_wcag_violations(page, live_server, initiative):
    found = {}
    for path in ["/suggest/", f"/initiatives/{initiative.slug}/suggest/", "/suggest/thanks/"]:
        page.goto(live_server.url + path)
        found[path] = wcag_violations(page)
    # The form with its errors shown.
    page.goto(live_server.url + "/suggest/")
    page.click("button[type=submit]")
    assert page.locator("#error-summary").is_visible()
    found["/suggest/ with errors"] = wcag_violations(page)
    assert {path: v for path, v in found.items() if v} == {}
    assert page.console_errors == []


def test_submitting_with_errors_moves_focus_to_the_error_summary(page, live_server):
    page.goto(live_server.url + "/suggest/")
    page.fill("#id_website", "not a website")
    page.click("button[type=submit]")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    # Each error links to its field: following one puts the keyboard there.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#id_name"
    page.click("#error-summary a[href='#id_role_0']")
    assert page.evaluate("() => location.hash") == "#id_role_0"
    assert wcag_violations(page) == []
    assert page.console_errors == []


def test_suggesting_an_initiative_by_keyboard_only(page, live_server):
    page.goto(live_server.url + "/suggest/")
    tab_to(page, "#id_name", limit=120)
    page.keyboard.type("Halton ukulele club")
    tab_to(page, "#id_role_0", limit=120)
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]", limit=120)
    page.keyboard.press("Enter")
    page.wait_for_url("**/suggest/thanks/")
    assert "Thank you: we have your suggestion" in page.content()
    suggestion = Suggestion.objects.get()
    assert suggestion.proposed["name"] == "Halton ukulele club"
    assert suggestion.proposed["role"] == "service_provider"


def test_the_honeypot_is_out_of_reach_of_the_keyboard(page, live_server):
    page.goto(live_server.url + "/suggest/")
    assert not page.locator("#id_homepage").is_visible()
    for _ in range(80):
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") != "id_homepage"


def test_a_correction_works_without_javascript(browser, live_server, initiative):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + initiative.get_absolute_url())
    page.click("text=Suggest a correction")
    page.fill("#id_summary", "Allotments with support workers, on Tuesdays.")
    page.click("button[type=submit]")
    assert "Thank you: we have your suggestion" in page.content()
    assert page.locator(f"a[href='{initiative.get_absolute_url()}']").count() >= 1
    context.close()
    assert Suggestion.objects.get().proposed == {
        "summary": "Allotments with support workers, on Tuesdays."
    }
