"""Providers keep their listings current, in a real browser, reading mail from the outbox:
claim, sign in, edit, publish; an untrusted edit approved by a curator; a reminder
confirmed with "still correct". axe-core checks each new page."""

from datetime import date, timedelta
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command

from initiatives.models import Initiative, Provider, Suggestion
from tests.factories import curators_group

from ..providers.helpers import links_in, provider_for, sew_halton
from .accessibility import wcag_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def follow(page, live_server, path: str) -> None:
    """Open a link from an email and press its "Sign in" button."""
    parts = urlsplit(path)
    page.goto(f"{live_server.url}{parts.path}?{parts.query}")
    assert wcag_violations(page) == []
    page.click("button[type=submit]")


def test_claim_sign_in_edit_publish_and_see_the_public_page_change(page, live_server):
    mail.outbox.clear()
    initiative = sew_halton(summary="Sewing on Mondays.")
    page.goto(live_server.url + initiative.get_absolute_url())
    page.click("text=Keep this listing up to date")
    assert wcag_violations(page) == []
    page.fill("#id_email", "jo@sewhalton.org.uk")
    page.click("button[type=submit]")
    page.wait_for_url("**/claim/sent/")
    assert "check your email" in page.content()
    assert wcag_violations(page) == []

    # A curator trusts the provider the claim made.
    Provider.objects.update(trusted=True)
    follow(page, live_server, links_in(mail.outbox[-1])[0])
    page.wait_for_url("**/provider/")
    assert "Your listings" in page.content()
    assert wcag_violations(page) == []
    page.click(f"text=Update {initiative.name}")
    assert wcag_violations(page) == []
    page.fill("#id_summary", "Sewing on Thursdays now.")
    page.click("text=Publish the changes")
    page.wait_for_url("**/provider/")
    assert "Published" in page.content()

    page.goto(live_server.url + initiative.get_absolute_url())
    assert "Sewing on Thursdays now." in page.content()
    stamp = page.locator("#last-checked").inner_text()
    assert stamp == f"Confirmed by the provider on {date.today():%-d %B %Y}."
    assert page.console_errors == []


def test_an_untrusted_edit_becomes_a_suggestion_a_curator_approves(
    page, live_server, django_user_model
):
    mail.outbox.clear()
    initiative = sew_halton(summary="Sewing on Mondays.")
    provider_for(django_user_model, initiative)
    page.goto(live_server.url + f"/initiatives/{initiative.slug}/claim/")
    page.fill("#id_email", "jo@sewhalton.org.uk")
    page.click("button[type=submit]")
    page.wait_for_url("**/claim/sent/")
    follow(page, live_server, links_in(mail.outbox[-1])[0])
    page.wait_for_url("**/provider/")
    page.click(f"text=Update {initiative.name}")
    page.fill("#id_summary", "Sewing on Fridays.")
    page.click("text=Send the changes to a curator")
    page.wait_for_url("**/provider/")
    assert "a curator will check your changes" in page.content()
    suggestion = Suggestion.objects.get()

    curator = django_user_model.objects.create_user(
        "curator", password="a-long-test-passphrase", is_staff=True
    )
    curator.groups.add(curators_group())
    page.context.clear_cookies()
    page.goto(live_server.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", "a-long-test-passphrase")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto(live_server.url + f"/admin/initiatives/suggestion/{suggestion.pk}/change/")
    assert "Sewing on Fridays." in page.content()
    page.locator("input[name=fields][value=summary]").check()
    page.click("text=Apply the ticked changes")
    page.wait_for_url("**/admin/initiatives/suggestion/?status=new")

    page.goto(live_server.url + initiative.get_absolute_url())
    assert "Sewing on Fridays." in page.content()
    assert page.locator("#last-checked").inner_text().startswith("Confirmed by the provider on")


def test_a_reminder_confirmed_with_still_correct(page, live_server, django_user_model):
    mail.outbox.clear()
    initiative = sew_halton(last_verified_on=date.today() - timedelta(days=400))
    provider_for(django_user_model, initiative)
    call_command("send_review_reminders", "--site-url", live_server.url, stdout=StringIO())
    still_correct = links_in(mail.outbox[-1])[0]
    follow(page, live_server, still_correct)
    page.wait_for_url(f"**/provider/initiatives/{initiative.slug}/confirm/")
    assert wcag_violations(page) == []
    page.click("text=Nothing has changed")
    page.wait_for_url("**/provider/")
    assert "confirmed as correct today" in page.content()
    initiative = Initiative.objects.get(pk=initiative.pk)
    assert initiative.last_verified_on == date.today() and initiative.checked_by_provider
    page.goto(live_server.url + initiative.get_absolute_url())
    assert page.locator("#last-checked").inner_text().startswith("Confirmed by the provider on")
    assert page.console_errors == []
