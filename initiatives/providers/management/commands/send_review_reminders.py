"""`python manage.py send_review_reminders`: email the providers of records due for review."""

from django.conf import settings
from django.core.management.base import BaseCommand

from initiatives.providers.services import send_review_reminders


class Command(BaseCommand):
    help = (
        "Email each claimed, published initiative's providers when the record is due for "
        f"review (not checked for REVIEW_DUE_DAYS, {settings.REVIEW_DUE_DAYS}, days, or "
        "never), with a sign-in link and a \u201cstill correct\u201d link. Idempotent: one "
        "reminder per record per review period. Links use DJANGO_SITE_URL. Run it daily "
        "from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--site-url",
            default=settings.SITE_URL,
            help="the site's address for the links (default: DJANGO_SITE_URL)",
        )

    def handle(self, *args, site_url, **options):
        tally = send_review_reminders(base_url=site_url)
        self.stdout.write(
            f"Reminded {tally['initiatives']} initiative(s): {tally['sent']} email(s) sent; "
            f"{tally['already']} reminded already this period; "
            f"{tally['unclaimed']} due but unclaimed (left to the curators' queue)."
        )
