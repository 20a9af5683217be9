"""The insights page in a real browser: axe-core's WCAG checks, charts drawn, no scripts needed."""

import pytest

from ..insights.test_insights import World
from .accessibility import wcag_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PAGES = [
    "/insights/",
    "/insights/?area=icb-a",
    "/insights/?area=north-west&vanguard=v-one",
    "/insights/?area=atlantis",
]


def test_insights_pages_have_no_wcag_violations(page, live_server):
    World()
    found = {}
    for path in PAGES:
        page.goto(live_server.url + path)
        # Open the tables kept behind <details>, so they are checked too.
        for summary in page.locator("details > summary").all():
            summary.click()
        violations = wcag_violations(page)
        if violations:
            found[path] = violations
    assert found == {}
    assert page.console_errors == []


def test_charts_are_drawn_without_javascript(browser, live_server):
    World()
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/insights/?area=icb-a")
        charts = page.locator("svg.chart[role=img]")
        assert charts.count() == 5
        # The funding chart's one bar (Org one and Org two, both "both") has real width.
        funding_bars = page.locator("#chart-funding-title ~ rect.chart-segment")
        assert funding_bars.count() == 2
        assert all(box["width"] > 10 for box in (b.bounding_box() for b in funding_bars.all()))
        download = page.locator('a[href="/insights/coverage.csv?area=icb-a"]')
        assert download.text_content() == "Download this table as CSV: Coverage by area"
    finally:
        context.close()
