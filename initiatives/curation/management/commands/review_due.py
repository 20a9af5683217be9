"""`python manage.py review_due`: the records due for review, as CSV on stdout."""

import csv

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Case, F, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone

from initiatives.exports import BYTE_ORDER_MARK, neutralise, to_text
from initiatives.models import Initiative

HEADERS = [
    "UUID",
    "Name",
    "Status",
    "Organisation",
    "Last verified",
    "Last verified by",
    "Days since verified",
    "Admin page",
]


class Command(BaseCommand):
    help = (
        "List the initiatives not verified for REVIEW_DUE_DAYS "
        f"({settings.REVIEW_DUE_DAYS}) days, or never, as CSV on stdout: published ones "
        "first, then drafts, each the longest unchecked first. Archived records are left out "
        "unless --include-archived."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--include-archived", action="store_true", help="list archived records too"
        )
        parser.add_argument(
            "--bom",
            action="store_true",
            help="start with a byte-order mark, for spreadsheets that need one to read UTF-8",
        )

    def handle(self, *args, include_archived, bom, **options):
        due = Initiative.objects.review_due().select_related("organisation", "last_verified_by")
        if not include_archived:
            due = due.exclude(status=Initiative.Status.ARCHIVED)
        published_first = Case(
            When(status=Initiative.Status.PUBLISHED, then=Value(0)),
            When(status=Initiative.Status.DRAFT, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        rows = due.order_by(
            published_first, F("last_verified_on").asc(nulls_first=True), "name", "pk"
        ).iterator(chunk_size=2000)
        today = timezone.localdate()
        writer = csv.writer(self.stdout, lineterminator="\n")
        if bom:
            self.stdout.write(BYTE_ORDER_MARK, ending="")
        writer.writerow(HEADERS)
        statuses = dict(Initiative.Status.choices)
        for initiative in rows:
            verifier = initiative.last_verified_by
            cells = [
                initiative.uuid,
                initiative.name,
                statuses.get(initiative.status, initiative.status),
                initiative.organisation.name if initiative.organisation else "",
                initiative.last_verified_on,
                (verifier.get_full_name() or verifier.get_username()) if verifier else "",
                (today - initiative.last_verified_on).days
                if initiative.last_verified_on
                else "never verified",
                reverse("admin:initiatives_initiative_change", args=[initiative.pk]),
            ]
            writer.writerow([neutralise(to_text(cell)) for cell in cells])
