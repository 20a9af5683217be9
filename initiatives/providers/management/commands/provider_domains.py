"""`python manage.py provider_domains`: how many records a provider could claim by email."""

from django.core.management.base import BaseCommand

from initiatives.models import Contact, Initiative
from initiatives.providers.domains import recorded_domains


class Command(BaseCommand):
    help = (
        "Count the initiatives (all but archived) whose organisation records a claimable "
        "email domain (a website or email address not at free mail or a shared host), so "
        "that a provider there could claim the listing without a curator."
    )

    def handle(self, *args, **options):
        initiatives = list(
            Initiative.objects.exclude(status=Initiative.Status.ARCHIVED).select_related(
                "organisation"
            )
        )
        by_organisation: dict[int, list[Initiative]] = {}
        for initiative in initiatives:
            if initiative.organisation_id:
                by_organisation.setdefault(initiative.organisation_id, []).append(initiative)
        contact_emails: dict[int, list[str]] = {}
        for initiative_id, email in Contact.objects.exclude(email="").values_list(
            "initiative_id", "email"
        ):
            contact_emails.setdefault(initiative_id, []).append(email)
        claimable = 0
        for initiative in initiatives:
            organisation = initiative.organisation
            scope = by_organisation[organisation.pk] if organisation else [initiative]
            websites = [item.website for item in scope]
            emails = [item.email for item in scope]
            for item in scope:
                emails += contact_emails.get(item.pk, [])
            if organisation:
                websites.append(organisation.website)
            if recorded_domains(websites=websites, emails=emails):
                claimable += 1
        total = len(initiatives)
        share = 100 * claimable / total if total else 0
        self.stdout.write(
            f"{claimable} of {total} initiatives ({share:.0f}%) have a claimable email domain."
        )
