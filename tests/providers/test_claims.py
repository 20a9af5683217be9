"""Claiming a listing: matched by domain, or queued for a curator who decides."""

import pytest
from django.core import mail
from django.test import Client
from django.test.utils import override_settings

from initiatives.models import Provider, ProviderClaim
from tests.factories import curators_group

from .helpers import last_link, links_in, sew_halton

pytestmark = pytest.mark.django_db


def claim_url(initiative):
    return f"/initiatives/{initiative.slug}/claim/"


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("cara", is_staff=True, email="cara@dir.example")
    user.groups.add(curators_group())
    return user


def test_the_public_page_invites_the_organisation_to_keep_it_current(client):
    initiative = sew_halton()
    page = client.get(initiative.get_absolute_url()).content.decode()
    assert "Is this your organisation?" in page
    assert claim_url(initiative) in page


def test_an_address_at_the_organisations_domain_gets_a_sign_in_link(client):
    initiative = sew_halton()
    response = client.post(claim_url(initiative), {"email": "Jo@SewHalton.org.uk"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jo@sewhalton.org.uk"]
    assert len(links_in(message)) == 1
    html, kind = message.alternatives[0]
    assert kind == "text/html" and "Sign in" in html
    assert "Why you got this" in message.body and "Unsubscribe" in message.body
    assert "no tracking" in message.body
    claim = ProviderClaim.objects.get()
    assert claim.status == ProviderClaim.Status.MATCHED
    assert claim.provider.organisation == initiative.organisation
    assert not claim.provider.user.is_staff
    assert not claim.provider.user.has_usable_password()


def test_any_other_address_joins_the_curators_queue_and_gets_no_link(client):
    initiative = sew_halton()
    response = client.post(claim_url(initiative), {"email": "jo.sews@gmail.com"})
    assert response.status_code == 302
    assert mail.outbox == []
    claim = ProviderClaim.objects.get()
    assert claim.status == ProviderClaim.Status.WAITING
    assert str(claim) == "Claim by someone at gmail.com for Sew Halton"
    assert not Provider.objects.exists()


def test_a_free_mail_address_recorded_as_the_organisations_never_matches(client):
    initiative = sew_halton(email="sewhalton@gmail.com")
    client.post(claim_url(initiative), {"email": "someone.else@gmail.com"})
    assert mail.outbox == []
    assert ProviderClaim.objects.get().status == ProviderClaim.Status.WAITING


def test_the_answer_is_the_same_whether_or_not_the_address_is_known(client, curator):
    initiative = sew_halton()
    answers = []
    for email in ["jo@sewhalton.org.uk", "jo.sews@gmail.com", "cara@dir.example"]:
        response = client.post(claim_url(initiative), {"email": email}, follow=True)
        answers.append((response.status_code, response.redirect_chain, response.content))
    assert answers[0] == answers[1] == answers[2]


def test_a_curators_account_can_never_be_claimed(client, curator):
    initiative = sew_halton(website="https://dir.example/")
    client.post(claim_url(initiative), {"email": "cara@dir.example"})
    assert mail.outbox == []
    assert ProviderClaim.objects.get().status == ProviderClaim.Status.IGNORED
    assert not Provider.objects.exists()


def test_a_bad_address_is_told_how_to_put_it_right(client):
    initiative = sew_halton()
    response = client.post(claim_url(initiative), {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter an email address in the correct format" in response.content.decode()
    assert not ProviderClaim.objects.exists()


def test_an_unknown_initiative_is_a_404(client):
    assert client.post("/initiatives/nothing-here/claim/", {"email": "a@b.org"}).status_code == 404


@override_settings(PROVIDER_CLAIMS_PER_HOUR=2)
def test_claims_are_limited_per_client_address(client):
    initiative = sew_halton()
    for n in range(2):
        assert client.post(claim_url(initiative), {"email": f"p{n}@gmail.com"}).status_code == 302
    response = client.post(claim_url(initiative), {"email": "p9@gmail.com"})
    assert response.status_code == 429
    assert "try again" in response.content.decode()
    assert ProviderClaim.objects.count() == 2
    other = Client(REMOTE_ADDR="192.0.2.99")
    assert other.post(claim_url(initiative), {"email": "p9@gmail.com"}).status_code == 302


@override_settings(PROVIDER_CLAIMS_PER_EMAIL_PER_HOUR=2)
def test_claims_are_limited_per_email_address_from_any_client(client):
    initiative = sew_halton()
    for n in range(2):
        c = Client(REMOTE_ADDR=f"192.0.2.{n + 1}")
        assert c.post(claim_url(initiative), {"email": "jo@sewhalton.org.uk"}).status_code == 302
    assert len(mail.outbox) == 2
    c = Client(REMOTE_ADDR="192.0.2.50")
    assert c.post(claim_url(initiative), {"email": "JO@sewhalton.org.uk"}).status_code == 429
    assert len(mail.outbox) == 2


def test_a_curator_approves_a_claim_and_a_sign_in_link_is_emailed(client, curator):
    initiative = sew_halton()
    Client().post(claim_url(initiative), {"email": "jo.sews@gmail.com"})
    claim = ProviderClaim.objects.get()
    client.force_login(curator)
    queue = client.get("/admin/").content.decode()
    assert "Claims by providers waiting for a curator" in queue
    page = client.get(f"/admin/initiatives/providerclaim/{claim.pk}/change/")
    assert page.status_code == 200
    assert "sewhalton.org.uk" in page.content.decode()
    response = client.post(
        f"/admin/initiatives/providerclaim/{claim.pk}/change/",
        {"decision": "approve", "trusted": "on", "reason": ""},
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ProviderClaim.Status.APPROVED
    assert claim.reviewed_by == curator
    assert claim.provider.trusted
    assert mail.outbox[-1].to == ["jo.sews@gmail.com"]
    assert last_link().startswith("/provider/sign-in/?sesame=")


def test_a_curator_refuses_a_claim_with_a_reason_that_is_emailed_back(client, curator):
    initiative = sew_halton()
    Client().post(claim_url(initiative), {"email": "jo.sews@gmail.com"})
    claim = ProviderClaim.objects.get()
    client.force_login(curator)
    url = f"/admin/initiatives/providerclaim/{claim.pk}/change/"
    response = client.post(url, {"decision": "refuse", "reason": ""})
    assert response.status_code == 200
    assert "Give a reason" in response.content.decode()
    assert mail.outbox == []
    client.post(url, {"decision": "refuse", "reason": "We could not reach Sew Halton to check."})
    claim.refresh_from_db()
    assert claim.status == ProviderClaim.Status.REFUSED
    assert mail.outbox[-1].to == ["jo.sews@gmail.com"]
    assert "We could not reach Sew Halton to check." in mail.outbox[-1].body
    assert links_in(mail.outbox[-1]) == []
    assert not Provider.objects.exists()


def test_a_mail_server_that_fails_is_no_error_page(client, monkeypatch, caplog):
    import smtplib

    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    initiative = sew_halton()
    response = client.post(claim_url(initiative), {"email": "jo@sewhalton.org.uk"})
    assert response.status_code == 302
    assert ProviderClaim.objects.get().status == ProviderClaim.Status.MATCHED
    assert "Could not send the sign_in email" in caplog.text
