"""The listing on a phone (390x844): the filters behind "Filters (N)", the first
result in view after a search from the home page, options that never submit by
themselves, and axe-core's WCAG checks."""

from urllib.parse import parse_qs, urlsplit

import pytest

from ..factories import InitiativeFactory, PostcodeFactory
from ..sample_register import build_register
from .accessibility import wcag_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
# Halton Borough Council's offices in Widnes, as the ONS Postcode Directory has them.
HALTON_OFFICES = {"postcode": "WA8 7QF", "easting": 351233, "northing": 385402}


@pytest.fixture
def register():
    reg = build_register()
    PostcodeFactory(local_authority_code="E06000006", **HALTON_OFFICES)
    for n in range(12):
        InitiativeFactory(
            name=f"Widnes Walking Group {n:02d}",
            summary="Weekly walking for health.",
            areas=[reg.areas["halton"]],
        )
    return reg


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.console_errors = []
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


def first_result_in_view(page) -> bool:
    return page.evaluate(
        """() => {
            const first = document.querySelector(".result");
            return window.scrollY === 0 && first !== null
                && first.getBoundingClientRect().top < window.innerHeight;
        }"""
    )


@pytest.mark.parametrize("typed", ["WA8 7QF", "walking"])
def test_first_result_is_in_view_after_a_search_from_the_home_page(
    phone, live_server, register, typed
):
    phone.goto(live_server.url + "/")
    phone.locator("#home-q").fill(typed)
    phone.locator("#home-q").press("Enter")
    phone.wait_for_url("**/initiatives/?**")
    phone.wait_for_load_state("load")
    assert phone.locator(".result").count() > 0
    assert first_result_in_view(phone)
    assert phone.locator(".filters__toggle").is_visible()
    assert not phone.locator(".filters__submit").is_visible()
    assert phone.console_errors == []


def test_a_runcorn_postcode_from_the_home_page_shows_a_halton_result_here_above_the_fold(
    phone, live_server, register
):
    """A link worker in Runcorn types WA7 1AB on a phone: the first result, under the
    "here" heading for Halton, shows without scrolling; the wider tiers follow."""
    PostcodeFactory(postcode="WA7 1AB")
    phone.goto(live_server.url + "/")
    phone.locator("#home-q").fill("WA7 1AB")
    phone.locator("#home-q").press("Enter")
    phone.wait_for_url("**/initiatives/?**")
    phone.wait_for_load_state("load")
    headings = phone.locator(".tiers__heading")
    assert headings.first.inner_text().startswith("Serving Halton or a place within it")
    assert "England or the whole UK" in headings.last.inner_text()
    first = phone.locator(".results-list").first.locator(".result").first
    assert "Halton" in first.inner_text()
    assert first_result_in_view(phone)
    box = first.bounding_box()
    # Its name and the start of what it says, not only its top edge.
    assert box["y"] + min(box["height"], 80) <= PHONE["height"]
    assert phone.console_errors == []


def test_ticking_an_option_waits_for_apply(phone, live_server, register):
    pages_asked = []
    phone.on("request", lambda r: r.is_navigation_request() and pages_asked.append(r.url))
    phone.goto(live_server.url + "/initiatives/")
    before = phone.url
    phone.evaluate("window.stillHere = true")
    toggle = phone.locator(".filters__toggle")
    assert toggle.inner_text() == "Filters (0)"
    toggle.click()
    phone.locator("label[for=role-campaigning]").click()
    # Nothing navigates: the address and the page stay as they were.
    assert phone.url == before
    assert phone.evaluate("window.stillHere === true")
    assert phone.locator("#role-campaigning").is_checked()
    phone.locator("label[for=include_ended]").click()
    assert phone.url == before

    phone.locator(".filters__submit").click()
    phone.wait_for_url("**role=campaigning**")
    assert len(pages_asked) == 2, pages_asked
    # Empty fields and the default order are left out of the address.
    assert parse_qs(urlsplit(phone.url).query) == {
        "role": ["campaigning"],
        "include_ended": ["1"],
    }
    assert phone.locator(".filters__toggle").inner_text() == "Filters (2)"
    assert phone.console_errors == []


def test_the_disclosure_opens_from_the_keyboard(phone, live_server, register):
    phone.goto(live_server.url + "/initiatives/")
    phone.locator(".filters__toggle").focus()
    phone.keyboard.press("Enter")
    assert phone.locator(".filters__submit").is_visible()


def test_filters_open_and_apply_on_a_phone_without_javascript(browser, live_server, register):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/initiatives/?q=walking")
        assert first_result_in_view(page)
        page.goto(live_server.url + "/initiatives/")
        page.locator(".filters__toggle").click()
        page.locator("#population-carers").check()
        page.locator(".filters__submit").click()
        page.wait_for_url("**population=carers**")
        assert page.locator(".filters__toggle").inner_text() == "Filters (1)"
        assert page.locator(".result").count() == 2
    finally:
        context.close()


def test_wide_screens_show_the_filters_without_the_toggle(page, live_server, register):
    page.goto(live_server.url + "/initiatives/")
    assert page.locator(".filters__submit").is_visible()
    assert not page.locator(".filters__toggle").is_visible()


def test_phone_listing_has_no_wcag_violations(phone, live_server, register):
    for path in ["/initiatives/?postcode=WA8+7QF", "/initiatives/?q=walking&role=campaigning"]:
        phone.goto(live_server.url + path)
        assert wcag_violations(phone) == [], path
        phone.locator(".filters__toggle").click()
        assert wcag_violations(phone) == [], f"{path} with the filters open"
