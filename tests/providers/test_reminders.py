"""`send_review_reminders`: providers are asked to check records due for review."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from initiatives.models import ReviewReminder

from ..factories import InitiativeFactory
from .helpers import links_in, provider_for, sew_halton, sign_in

pytestmark = pytest.mark.django_db

LONG_AGO = date.today() - timedelta(days=400)


def run() -> str:
    out = StringIO()
    call_command("send_review_reminders", "--site-url", "http://testserver", stdout=out)
    return out.getvalue()


def test_a_claimed_record_due_for_review_is_reminded_once(django_user_model):
    initiative = sew_halton(last_verified_on=LONG_AGO)
    user = provider_for(django_user_model, initiative)
    InitiativeFactory(name="Checked lately")  # not due
    InitiativeFactory(name="Unclaimed and due", last_verified_on=LONG_AGO)
    out = run()
    assert "Reminded 1 initiative(s): 1 email(s) sent" in out
    assert "1 due but unclaimed" in out
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert initiative.name in message.body
    assert f"last checked on {LONG_AGO:%-d %B %Y}" in message.body
    assert len(links_in(message)) == 2
    assert "Unsubscribe" in message.body and message.alternatives[0][1] == "text/html"

    out = run()
    assert len(mail.outbox) == 1
    assert "1 reminded already this period" in out
    assert ReviewReminder.objects.count() == 1


def test_still_correct_renews_the_stamp(django_user_model):
    initiative = sew_halton(last_verified_on=LONG_AGO)
    provider_for(django_user_model, initiative)
    run()
    still_correct = links_in(mail.outbox[0])[0]
    client = Client()
    response = sign_in(client, still_correct)
    assert response.redirect_chain[-1][0] == f"/provider/initiatives/{initiative.slug}/confirm/"
    assert "still correct" in response.content.decode()
    client.post(f"/provider/initiatives/{initiative.slug}/confirm/")
    initiative.refresh_from_db()
    assert initiative.last_verified_on == date.today() and initiative.checked_by_provider
    public = Client().get(initiative.get_absolute_url()).content.decode()
    assert f"Confirmed by the provider on {date.today():%-d %B %Y}" in public
    # Checked now: no reminder due.
    run()
    assert len(mail.outbox) == 1


def test_a_provider_who_turned_reminders_off_gets_none(client, django_user_model):
    initiative = sew_halton(last_verified_on=LONG_AGO)
    user = provider_for(django_user_model, initiative)
    client.force_login(user, backend="initiatives.providers.backends.ProviderLinkBackend")
    client.post("/provider/reminders/", {})
    assert "1 due but unclaimed" in run()
    assert mail.outbox == []


def test_a_revoked_provider_gets_no_reminder(django_user_model):
    from initiatives.providers.services import revoke

    initiative = sew_halton(last_verified_on=LONG_AGO)
    user = provider_for(django_user_model, initiative)
    revoke(user.providers.get())
    run()
    assert mail.outbox == []


def test_the_seeded_share_of_claimable_records_is_counted():
    sew_halton()
    InitiativeFactory(organisation=None, website="https://www.facebook.com/group")
    out = StringIO()
    call_command("provider_domains", stdout=out)
    assert "1 of 2 initiatives (50%) have a claimable email domain" in out.getvalue()
