"""Emails to providers: a text part and an HTML part from templates/providers/email/,
with a line saying why the person got it. No tracking: no pixels, no rewritten links."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

SUBJECTS = {
    "sign_in": "Your sign-in link for the Community Health Directory",
    "claim_approved": "You can now keep your listing up to date",
    "claim_refused": "Your request to keep a listing up to date",
    "review_reminder": "Is your listing still correct?",
}


logger = logging.getLogger(__name__)


def send(kind: str, to: str, context: dict) -> bool:
    """Send the `kind` email to one address. False when the mail server refused or could
    not be reached (logged): what was asked is recorded already, and the person can ask
    again, so it is not an error page."""
    context = {**context, "site_name": "Community Health Directory", "to": to}
    text = render_to_string(f"providers/email/{kind}.txt", context)
    html = render_to_string(f"providers/email/{kind}.html", context)
    message = EmailMultiAlternatives(
        subject=SUBJECTS[kind], body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        logger.exception("Could not send the %s email", kind)
        return False
    return True
