"""The shortlist in a real browser: built without JavaScript and with it, shared and
opened in a fresh browser, each printable page print-emulated (screenshots saved to
ARTIFACTS_DIR for CI's artefacts), and axe-core's WCAG checks on the shortlist pages."""

import os
import re
from datetime import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from initiatives.models import Contact, OpeningTime

from ..factories import AreaFactory, InitiativeFactory, PopulationGroupFactory, TopicFactory
from .accessibility import wcag_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Where the print screenshots go; CI keeps this folder as an artefact.
ARTIFACTS = (
    Path(os.environ.get("ARTIFACTS_DIR") or Path(__file__).resolve().parents[2] / "var/artifacts")
    / "print"
)


@pytest.fixture
def register():
    halton = AreaFactory(name="Halton", slug="halton", kind="local_authority")
    growing = TopicFactory(name="Growing food", slug="growing-food")
    made = [
        InitiativeFactory(
            name=f"Halton allotments {n}",
            slug=f"halton-allotments-{n}",
            summary="Allotments for health.",
            areas=[halton],
            topics=[growing],
            phone="01928 000001",
            website=f"https://allotments-{n}.example.org",
            address="1 High Street\nRuncorn",
            postcode="WA7 1AB",
        )
        for n in range(3)
    ]
    # The first has what someone about to go needs; the others print "Not recorded".
    first = made[0]
    first.population_groups.add(PopulationGroupFactory(name="Carers", slug="carers"))
    first.self_referral = True
    first.self_referral_contact = "Ring the office"
    first.save()
    OpeningTime.objects.create(initiative=first, day="TU", opens_at=time(10), closes_at=time(16))
    Contact.objects.create(initiative=first, name="Sam Jones", title="Coordinator")
    return made


def button(page, action: str, name: str):
    """A button whose visible words are `action`, and whose accessible name ends with the
    initiative's name (Chromium puts a space before the visually hidden part)."""
    return page.get_by_role("button", name=re.compile(rf"^{action}\s*: {re.escape(name)}$"))


def count_in_header(page) -> str:
    return page.locator("[data-shortlist-count]").inner_text()


PRINTED = [
    "What it offers",
    "Who it is for",
    "How to get in",
    "Opening times",
    "Contact",
    "Address",
]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_build_a_shortlist_without_javascript_then_share_it(browser, live_server, register):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/initiatives/?q=allotments")
        button(page, "Add to shortlist", "Halton allotments 2").click()
        page.wait_for_url("**/initiatives/?q=allotments#initiative-*")
        assert count_in_header(page) == "1"
        assert button(page, "Remove from shortlist", "Halton allotments 2")
        page.goto(live_server.url + "/initiatives/halton-allotments-0/")
        button(page, "Add to shortlist", "Halton allotments 0").click()
        page.wait_for_load_state()
        assert count_in_header(page) == "2"

        page.goto(live_server.url + "/shortlist/")
        titles = page.locator(".entry__title a")
        assert titles.all_inner_texts() == ["Halton allotments 2", "Halton allotments 0"]
        button(page, "Move down", "Halton allotments 2").click()
        page.wait_for_load_state()
        assert titles.all_inner_texts() == ["Halton allotments 0", "Halton allotments 2"]
        page.locator("#note-text").fill("Bring wellies")
        page.get_by_role("button", name="Save note").click()
        page.wait_for_load_state()
        assert page.locator("#note-text").input_value() == "Bring wellies"
        share_url = page.locator("#share-link").input_value()
        assert "Bring wellies" not in page.locator("#share-text").input_value()
    finally:
        context.close()

    fresh = browser.new_context(locale="en-GB")
    other = fresh.new_page()
    try:
        other.goto(share_url)
        assert other.locator("h1").inner_text() == "A shared shortlist"
        names = other.locator(".entry__title a").all_inner_texts()
        assert names == ["Halton allotments 0", "Halton allotments 2"]
        assert "Bring wellies" not in other.content()
        assert count_in_header(other) == "0"
        other.get_by_role("button", name="Add these to my shortlist").click()
        other.wait_for_url("**/shortlist/")
        assert count_in_header(other) == "2"
    finally:
        fresh.close()


def test_with_javascript_adding_and_removing_keeps_the_place(page, live_server, register):
    page.goto(live_server.url + "/initiatives/?q=allotments")
    page.evaluate("window.stillHere = true")
    add = button(page, "Add to shortlist", "Halton allotments 1")
    add.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-shortlist-count]")).to_have_text("1")
    assert page.evaluate("window.stillHere === true")  # no reload
    status = page.locator("[data-shortlist-status]")
    status.filter(has_text="Added Halton allotments 1").wait_for(state="attached")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.startswith("Remove from shortlist")
    page.keyboard.press("Enter")
    expect(page.locator("[data-shortlist-count]")).to_have_text("0")
    assert page.evaluate("document.activeElement.textContent").startswith("Add to shortlist")

    for n in (0, 2):
        button(page, "Add to shortlist", f"Halton allotments {n}").click()
    expect(page.locator("[data-shortlist-count]")).to_have_text("2")
    page.goto(live_server.url + "/shortlist/")
    page.evaluate("window.stillHere = true")
    button(page, "Remove from shortlist", "Halton allotments 0").click()
    expect(page.locator("[data-shortlist-item]")).to_have_count(1)
    assert page.evaluate("window.stillHere === true")
    assert page.evaluate("document.activeElement.textContent") == "Halton allotments 2"
    assert count_in_header(page) == "1"
    page.reload()
    assert page.locator(".entry__title a").all_inner_texts() == ["Halton allotments 2"]
    assert page.console_errors == []


def test_the_shortlist_pages_have_no_wcag_violations(page, live_server, register):
    page.goto(live_server.url + "/initiatives/?q=allotments")
    for n in range(3):
        button(page, "Add to shortlist", f"Halton allotments {n}").click()
    expect(page.locator("[data-shortlist-count]")).to_have_text("3")
    page.goto(live_server.url + "/shortlist/")
    share_url = page.locator("#share-link").input_value()
    assert page.locator("img.share__qr").evaluate("img => img.naturalWidth > 0")
    for url in ["/shortlist/", "/shortlist/print/?header=Riverside+Surgery", share_url]:
        page.goto(url if url.startswith("http") else live_server.url + url)
        assert wcag_violations(page) == [], url
    assert page.console_errors == []


def test_print_each_printable_page(page, live_server, register):
    page.goto(live_server.url + "/initiatives/?q=allotments")
    for n in range(2):
        button(page, "Add to shortlist", f"Halton allotments {n}").click()
    expect(page.locator("[data-shortlist-count]")).to_have_text("2")
    page.emulate_media(media="print")
    pages = {
        "listing": "/initiatives/?q=allotments",
        "initiative": "/initiatives/halton-allotments-0/",
        "shortlist": "/shortlist/",
        "prescription": "/shortlist/print/?header=Riverside+Surgery%0A01928+111111",
        "area": "/areas/halton/",
    }
    # What someone about to go needs, in each page's own words, as printed.
    needs = {
        "initiative": [
            "What it does",
            "Who it is for",
            "Ways in",
            "Opening times",
            "Contact",
            "Address",
            "Last checked on",
        ],
        "shortlist": [*PRINTED, "Last checked"],
        "prescription": [*PRINTED, "Last checked"],
        "listing": [*PRINTED, "Last checked"],
        "area": [*PRINTED, "Last checked"],
    }
    for name, url in pages.items():
        page.goto(live_server.url + url)
        assert not page.locator(".site-header nav").is_visible(), name
        assert not page.locator("form.shortlist-toggle").first.is_visible(), name
        printed = page.locator("main").inner_text()
        for words in needs[name]:
            assert words in printed, (name, words)
        assert "Tuesday: 10:00 to 16:00" in printed or "Tuesday\t10:00 to 16:00" in printed, name
        assert "Sam Jones" in printed, name
        # Every printed link to another site shows its address: as its words, or after it.
        unprinted = page.evaluate(
            """() => [...document.querySelectorAll('main a[href^="http"]')]
                .filter(a => a.offsetParent !== null)
                .filter(a => !a.textContent.includes(a.getAttribute('href'))
                    && !getComputedStyle(a, '::after').content.includes(a.getAttribute('href')))
                .map(a => a.outerHTML)"""
        )
        assert unprinted == [], name
        shot(page, name)
        after = page.evaluate(
            """() => { const a = document.createElement('a');
                      a.href = 'https://example.org/report'; a.textContent = 'the report';
                      document.querySelector('main').append(a);
                      return getComputedStyle(a, '::after').content; }"""
        )
        assert after == '" (" attr(href) ")"' or "https://example.org/report" in after, after
    assert not page.locator("#filters").is_visible() if page.locator("#filters").count() else True
    page.goto(live_server.url + "/initiatives/?q=allotments")
    assert not page.locator("#filters").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "listing.pdf"), format="A4", print_background=False)
    page.goto(live_server.url + pages["prescription"])
    assert page.locator(".prescription__header").inner_text() == "Riverside Surgery\n01928 111111"
    assert not page.locator(".print-header-form").is_visible()
    assert page.locator(".entry__url").first.is_visible()
    assert page.console_errors == []


def printed_result(page, name: str) -> str:
    """The words a printed result shows: only what is visible in print media."""
    return page.locator(".result", has=page.get_by_role("link", name=name, exact=True)).inner_text()


@pytest.mark.parametrize("url", ["/initiatives/?q=allotments", "/areas/halton/"])
def test_a_printed_listing_carries_what_someone_about_to_go_needs(page, live_server, register, url):
    page.goto(live_server.url + url)
    # On screen the printed details take no room.
    assert page.locator(".result__print").first.is_hidden()
    screen = printed_result(page, "Halton allotments 0")
    assert "Opening times" not in screen and "How to get in" not in screen

    page.emulate_media(media="print")
    full = printed_result(page, "Halton allotments 0")
    for label in PRINTED:
        assert label in full, (label, full)
    assert "Carers" in full
    assert "Self-referral: Ring the office" in full
    assert "Tuesday: 10:00 to 16:00" in full
    assert "Sam Jones (Coordinator)" in full
    assert "1 High Street" in full and "WA7 1AB" in full
    assert "Last checked" in full
    assert f"{live_server.url}/initiatives/halton-allotments-0/" in full
    # The website's address printed after its link.
    assert "https://allotments-0.example.org" in full
    bare = printed_result(page, "Halton allotments 1")
    assert re.search(r"Who it is for\s+Not recorded", bare), bare
    assert re.search(r"Opening times\s+Not recorded", bare), bare
    assert re.search(r"How to get in\s+Not recorded", bare), bare
    # Each result is kept whole on a page.
    assert page.locator(".result").first.evaluate("e => getComputedStyle(e).breakInside") == (
        "avoid"
    )
    name = "print-listing" if url.startswith("/initiatives") else "print-area"
    shot(page, name)
    page.pdf(path=str(ARTIFACTS / f"{name}.pdf"), format="A4")
    assert page.console_errors == []
