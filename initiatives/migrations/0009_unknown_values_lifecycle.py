"""Unknown becomes representable, and the values nobody recorded become unknown again.

Schema: the four ways in (self-referral, professional referral, drop-in,
membership) may now be null ("not recorded"); an initiative gains a curator-only
note, a lifecycle (running, paused, ended, planned, or blank when not recorded)
and the years it started and ended.

Data, by these rules:

- Ways in. Before this migration each way in was a tick box that defaulted to
  "no", so a record whose four boxes are all "no" cannot be told from one that
  nobody filled in. No initiative is reachable by no way at all, so all four
  "no" means "not recorded": they become null. Where at least one box is
  ticked, a curator chose the ways that apply, and the unticked ones were
  judged not to apply: they stay "no".
- NHS share. It was stored as 0% whenever an organisation had funding lines for
  its latest year but none from the NHS, even when those lines do not account
  for its whole income. 0% is known only when the year's shares add up to
  100%; otherwise the NHS share becomes null (not recorded), on the
  organisation and on its initiatives' copies.
- Ages, cost, members, volunteers and paid staff were already null or empty
  when unknown (the invented "All ages" was in the wording, not the data), and
  a role has always been required: nothing to undo there.

History rows are left as they were: they record what was stored at the time.
"""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models

ACCESS_FIELDS = ("self_referral", "professional_referral", "drop_in", "membership")


def unknowns_back(apps, schema_editor):
    Initiative = apps.get_model("initiatives", "Initiative")
    Organisation = apps.get_model("initiatives", "Organisation")
    FundingLine = apps.get_model("initiatives", "FundingLine")
    Initiative.objects.filter(**dict.fromkeys(ACCESS_FIELDS, False)).update(
        **dict.fromkeys(ACCESS_FIELDS, None)
    )
    for organisation in Organisation.objects.filter(nhs_share=0, funding_year__isnull=False):
        lines = FundingLine.objects.filter(
            organisation_id=organisation.pk, year=organisation.funding_year
        )
        if lines.filter(funder_type="nhs").exists():
            continue
        total = sum((line.share for line in lines), Decimal("0"))
        if total < 100:
            Organisation.objects.filter(pk=organisation.pk).update(nhs_share=None)
            Initiative.objects.filter(organisation_id=organisation.pk).update(nhs_share=None)


def unknown_access_to_no(apps, schema_editor):
    """Going back to booleans that cannot be null: unknown ways in become "no" again."""
    Initiative = apps.get_model("initiatives", "Initiative")
    for name in ACCESS_FIELDS:
        Initiative.objects.filter(**{f"{name}__isnull": True}).update(**{name: False})


class Migration(migrations.Migration):
    dependencies = [
        ("initiatives", "0008_area_kinds_devolved"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalinitiative",
            name="curator_note",
            field=models.TextField(
                blank=True,
                help_text="For curators only: what is still to check, doubts, to-dos. Never published, searched, exported or sent by the API.",
            ),
        ),
        migrations.AddField(
            model_name="historicalinitiative",
            name="ended_in",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1900),
                    django.core.validators.MaxValueValidator(2100),
                ],
                verbose_name="year ended",
            ),
        ),
        migrations.AddField(
            model_name="historicalinitiative",
            name="lifecycle",
            field=models.CharField(
                blank=True,
                choices=[
                    ("running", "Running"),
                    ("paused", "Paused"),
                    ("ended", "Ended"),
                    ("planned", "Planned"),
                ],
                db_index=True,
                help_text="Leave empty when no source says whether it is running.",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="historicalinitiative",
            name="started_in",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1900),
                    django.core.validators.MaxValueValidator(2100),
                ],
                verbose_name="year started",
            ),
        ),
        migrations.AddField(
            model_name="initiative",
            name="curator_note",
            field=models.TextField(
                blank=True,
                help_text="For curators only: what is still to check, doubts, to-dos. Never published, searched, exported or sent by the API.",
            ),
        ),
        migrations.AddField(
            model_name="initiative",
            name="ended_in",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1900),
                    django.core.validators.MaxValueValidator(2100),
                ],
                verbose_name="year ended",
            ),
        ),
        migrations.AddField(
            model_name="initiative",
            name="lifecycle",
            field=models.CharField(
                blank=True,
                choices=[
                    ("running", "Running"),
                    ("paused", "Paused"),
                    ("ended", "Ended"),
                    ("planned", "Planned"),
                ],
                db_index=True,
                help_text="Leave empty when no source says whether it is running.",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="initiative",
            name="started_in",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1900),
                    django.core.validators.MaxValueValidator(2100),
                ],
                verbose_name="year started",
            ),
        ),
        migrations.AlterField(
            model_name="historicalinitiative",
            name="drop_in",
            field=models.BooleanField(blank=True, default=None, null=True),
        ),
        migrations.AlterField(
            model_name="historicalinitiative",
            name="membership",
            field=models.BooleanField(blank=True, default=None, null=True),
        ),
        migrations.AlterField(
            model_name="historicalinitiative",
            name="professional_referral",
            field=models.BooleanField(blank=True, default=None, null=True),
        ),
        migrations.AlterField(
            model_name="historicalinitiative",
            name="self_referral",
            field=models.BooleanField(blank=True, default=None, null=True),
        ),
        migrations.AlterField(
            model_name="initiative",
            name="drop_in",
            field=models.BooleanField(blank=True, default=None, null=True),
        ),
        migrations.AlterField(
            model_name="initiative",
            name="membership",
            field=models.BooleanField(blank=True, default=None, null=True),
        ),
        migrations.AlterField(
            model_name="initiative",
            name="professional_referral",
            field=models.BooleanField(blank=True, default=None, null=True),
        ),
        migrations.AlterField(
            model_name="initiative",
            name="self_referral",
            field=models.BooleanField(blank=True, default=None, null=True),
        ),
        migrations.RunPython(unknowns_back, unknown_access_to_no),
    ]
