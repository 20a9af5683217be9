"""The curators' changelist on a 1366 x 768 laptop screen: no sideways scrolling."""

import pytest

from tests.factories import curators_group

from ..factories import InitiativeFactory, OrganisationFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_changelist_fits_a_1366_pixel_screen(browser, live_server, django_user_model):
    user = django_user_model.objects.create_user("curator", password="a-long-test-passphrase")
    user.is_staff = True
    user.save()
    user.groups.add(curators_group())
    organisation = OrganisationFactory(
        name="Health and Social Care Alliance Scotland (the ALLIANCE), a national body"
    )
    for n in range(25):
        InitiativeFactory(
            name=f"Community allotments with support workers and carers, number {n}",
            organisation=organisation,
            website="https://www.example.org",
        )
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", "a-long-test-passphrase")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    assert page.locator("#work-queue").is_visible()
    page.click("#work-queue-no_contact th a")
    page.wait_for_url("**/admin/initiatives/initiative/?to_do=no_contact")
    page.goto(live_server.url + "/admin/initiatives/initiative/")
    assert page.locator("#result_list").is_visible()
    # Neither the page nor the results' own box (the admin lets it scroll) scrolls sideways.
    for box in ["document.documentElement", "document.querySelector('.results')"]:
        content, shown = page.evaluate(f"() => [{box}.scrollWidth, {box}.clientWidth]")
        assert content <= shown, f"{box} scrolls sideways: {content} px of content in {shown}"
    # The completeness column is on screen.
    header = page.locator("#result_list th.column-completeness_score")
    box = header.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1366
    context.close()
