"""The public pages in a real browser: keyboard-only use and axe-core's WCAG checks."""

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ..factories import InitiativeFactory, TopicFactory
from ..sample_register import build_register
from .accessibility import tab_to, wcag_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Set to a folder to keep screenshots of the pages for a look by eye.
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "")


@pytest.fixture
def register():
    reg = build_register()
    walking = TopicFactory(name="Walking", slug="walking")
    for n in range(25):
        InitiativeFactory(
            name=f"Halton Walking Group {n:02d}",
            summary="Weekly walking for health.",
            topics=[walking],
            areas=[reg.areas["halton"]],
        )
    return reg


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def focus_is_visible(page) -> bool:
    return page.evaluate(
        """() => {
            const style = getComputedStyle(document.activeElement);
            return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
        }"""
    )


def snapshot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_search_filter_paginate_and_open_by_keyboard_only(page, live_server, register):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert focus_is_visible(page)

    # Search from the home page.
    tab_to(page, "#home-q")
    page.keyboard.type("walking")
    page.keyboard.press("Enter")
    page.wait_for_url("**/initiatives/?q=walking")
    assert "25 initiatives found" in page.locator(".results__count").inner_text()

    # Filter: tick a checkbox with the space bar, then apply.
    tab_to(page, "#topic-walking")
    assert focus_is_visible(page)
    page.keyboard.press("Space")
    tab_to(page, ".filters__submit")
    page.keyboard.press("Enter")
    page.wait_for_url("**topic=walking**")
    assert params(page) == {"q": ["walking"], "topic": ["walking"]}
    assert page.locator(".chip").count() == 2

    # Next page, keeping the search and the filter.
    tab_to(page, "a[rel=next]")
    page.keyboard.press("Enter")
    page.wait_for_url("**page=2**")
    assert params(page)["topic"] == ["walking"]
    assert page.locator(".result").count() == 5
    assert "showing 21 to 25" in page.locator(".results__count").inner_text()

    # Open the first result on this page.
    tab_to(page, ".result__title a")
    name = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.wait_for_url("**/initiatives/halton-walking-group-**/")
    assert page.locator("h1").inner_text() == name
    assert page.console_errors == []


def test_clicking_a_filter_waits_for_the_apply_button(page, live_server, register):
    page.goto(live_server.url + "/initiatives/")
    page.evaluate("window.stillHere = true")
    page.locator("label[for=role-campaigning]").click()
    assert page.url == live_server.url + "/initiatives/"
    assert page.evaluate("window.stillHere === true")
    page.locator(".filters__submit").click()
    page.wait_for_url("**role=campaigning**")
    # Empty fields and the default order are left out of the address.
    assert params(page) == {"role": ["campaigning"]}
    assert page.locator(".result").count() == 2
    assert page.console_errors == []


def test_filters_work_without_javascript(browser, live_server, register):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/initiatives/")
        page.locator("#population-carers").check()
        page.locator(".filters__submit").click()
        page.wait_for_url("**population=carers**")
        assert page.locator(".result").count() == 2
    finally:
        context.close()


PAGES = [
    ("home", "/"),
    ("listing", "/initiatives/?role=service_provider&topic=arts&area=north-west"),
    ("listing-many", "/initiatives/?q=walking&page=2"),
    ("listing-empty", "/initiatives/?topic=arts&area=wales"),
    ("listing-bad-input", "/initiatives/?area=xyz&page=abc&sort=drop+table"),
    ("detail", "/initiatives/oldham-arts/"),
    ("detail-full", "/initiatives/wrexham-allotments/"),
    ("areas", "/areas/"),
    ("areas-find", "/areas/?find=hal"),
    ("areas-find-nothing", "/areas/?find=zzqx"),
    ("area", "/areas/halton/"),
    ("not-found", "/areas/nowhere/"),
]


def test_pages_have_no_wcag_violations(page, live_server, register):
    found = {}
    for name, path in PAGES:
        page.goto(live_server.url + path)
        snapshot(page, name)
        violations = wcag_violations(page)
        if violations:
            found[path] = violations
    assert found == {}
    # A 404 logs its status; anything else would be a script or a CSP violation.
    errors = [e for e in page.console_errors if "404" not in e]
    assert errors == []
