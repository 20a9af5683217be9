"""Area pages on a phone (390x844): each tier a section showing its first few results
with "Show all N", so that a district's or a nation's page stays a few screens long;
a compact "Add to shortlist" on every result, with and without JavaScript; and
axe-core's WCAG checks."""

import re

import pytest
from playwright.sync_api import expect

from ..factories import InitiativeFactory
from ..sample_register import build_register
from .accessibility import wcag_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
# No longer than this many screens of the phone.
MAX_SCREENS = 4


@pytest.fixture
def register():
    """Many initiatives in every tier of Halton, and so in England's."""
    reg = build_register()
    tiers = {
        "Halton": [reg.areas["halton"]],
        "Cheshire and Merseyside": [reg.areas["cheshire-merseyside"]],
        "England": [reg.areas["england"]],
    }
    for label, areas in tiers.items():
        for n in range(25):
            InitiativeFactory(
                name=f"{label} Walking Group {n:02d}",
                summary="Weekly walking for health, with a cup of tea afterwards.",
                areas=areas,
            )
    return reg


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def page_height(page) -> int:
    return page.evaluate("() => document.documentElement.scrollHeight")


@pytest.mark.parametrize("slug", ["halton", "england"])
def test_an_area_page_is_a_few_screens_long_on_a_phone(phone, live_server, register, slug):
    phone.goto(f"{live_server.url}/areas/{slug}/")
    assert page_height(phone) < MAX_SCREENS * PHONE["height"], page_height(phone)
    # Each long tier shows them all on request (England: its own tier; Halton: all three).
    show_all = phone.get_by_role("link", name="Show all")
    assert show_all.count() == (3 if slug == "halton" else 1)
    assert wcag_violations(phone) == []


def test_show_all_lists_a_tier_page_by_page_and_goes_back(phone, live_server, register):
    phone.goto(f"{live_server.url}/areas/halton/")
    phone.locator("#wider").get_by_role("link", name="Show all").click()
    phone.wait_for_url("**/areas/halton/?wider=1#wider")
    wider = phone.locator("#wider .result")
    assert wider.count() == 20
    assert phone.locator("#here .result").count() == 3
    assert wcag_violations(phone) == []
    phone.locator("#wider").get_by_role("link", name="Next").click()
    phone.wait_for_url("**wider=2#wider")
    assert phone.locator("#wider .result").count() == 6  # 25 and the sample's North West one
    phone.locator("#wider").get_by_role("link", name="Show the first 3 only").click()
    phone.wait_for_url("**/areas/halton/#wider")
    assert phone.locator("#wider .result").count() == 3


def add_button(page, name: str):
    return page.get_by_role("button", name=re.compile(rf"^Add to shortlist\s*: {re.escape(name)}$"))


def test_every_result_can_be_shortlisted_from_a_phone_with_javascript(phone, live_server, register):
    phone.goto(f"{live_server.url}/areas/halton/")
    phone.evaluate("window.stillHere = true")
    name = "Cheshire and Merseyside Walking Group 01"
    add = add_button(phone, name)
    box = add.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, box  # WCAG 2.5.5's target size
    # Every result shown has one.
    assert phone.locator(".result").count() == 9
    assert phone.locator(".result form.shortlist-toggle").count() == 9
    add.tap()
    expect(phone.locator("[data-shortlist-count]").first).to_have_text("1")
    assert phone.evaluate("window.stillHere === true")  # no reload
    status = phone.locator("[data-shortlist-status]")
    status.filter(has_text=f"Added {name}").wait_for(state="attached")
    remove = phone.get_by_role(
        "button", name=re.compile(rf"^Remove from shortlist\s*: {re.escape(name)}$")
    )
    expect(remove).to_have_attribute("data-on-list", "true")
    assert wcag_violations(phone) == []
    remove.tap()
    expect(phone.locator("[data-shortlist-count]").first).to_have_text("0")
    expect(add_button(phone, name)).to_be_visible()


def test_a_result_is_shortlisted_without_javascript_and_the_page_comes_back_there(
    browser, live_server, register
):
    context = browser.new_context(
        viewport=PHONE, locale="en-GB", is_mobile=True, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/areas/halton/?wider=1")
        name = "Cheshire and Merseyside Walking Group 07"
        add_button(page, name).click()
        page.wait_for_url(re.compile(r"/areas/halton/\?wider=1#initiative-\d+$"))
        assert page.locator("[data-shortlist-count]").first.inner_text() == "1"
        fragment = page.url.rsplit("#", 1)[1]
        assert page.locator(f"#{fragment} .result__title").inner_text() == name
        assert page.get_by_role(
            "button", name=re.compile(rf"^Remove from shortlist\s*: {re.escape(name)}$")
        ).is_visible()
        page.goto(f"{live_server.url}/shortlist/")
        assert page.locator(".entry__title a").all_inner_texts() == [name]
    finally:
        context.close()
