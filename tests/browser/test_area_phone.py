"""Area pages on a phone (390x844): each tier a section showing its first few results
with "Show all N", so that a district's or a nation's page stays a few screens long;
and axe-core's WCAG checks."""

import pytest

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
