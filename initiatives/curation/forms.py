"""Forms for the curators' admin."""

from collections import defaultdict
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet

from ..models import INITIATIVE_HISTORY_M2M, FundingLine, Initiative, share_total_too_high
from ..services import last_change, when_in_words


def format_percent(value: Decimal) -> str:
    """A share as a curator would write it: 60, 12.5 (never 60.00 or 6E+1)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _skip_saved_rows_check() -> None:
    """Stands in for FundingLine.clean while the inline formset checks the year totals."""


class FundingLineForm(forms.ModelForm):
    """One funding line in an organisation's inline; the formset checks the year totals."""

    class Meta:
        model = FundingLine
        fields = [
            "financial_year_end",
            "year",
            "funder_type",
            "funder_name",
            "amount_gbp",
            "total_income_gbp",
            "share",
            "source",
            "source_note",
        ]
        widgets = {
            "source": forms.Textarea(attrs={"rows": 1, "cols": 24}),
            "source_note": forms.Textarea(attrs={"rows": 1, "cols": 24}),
        }

    def _post_clean(self):
        # FundingLine.clean compares one line with the lines already saved, which refuses a
        # correct edit that moves share between two lines of a year in one save. The formset
        # sees every row, so it does that check instead (FundingLineInlineFormSet.clean).
        self.instance.clean = _skip_saved_rows_check
        try:
            super()._post_clean()
        finally:
            del self.instance.clean


class FundingLineInlineFormSet(BaseInlineFormSet):
    """An organisation's funding lines: the shares of one year add up to at most 100%."""

    def clean(self):
        super().clean()
        totals: dict[int, Decimal] = defaultdict(Decimal)
        lines: dict[int, int] = defaultdict(int)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or (self.can_delete and self._should_delete_form(form)):
                continue
            share, year = data.get("share"), data.get("year")
            if share is None or year is None:
                continue
            totals[year] += share
            lines[year] += 1
        errors = [
            ValidationError(
                f"The shares for {year} add up to {format_percent(total)}%. The shares of one "
                f"year can add up to at most 100%: lower a {year} share or delete a line.",
                code="year_total_over_100",
            )
            for year, total in sorted(totals.items())
            if share_total_too_high(total, lines[year])
        ]
        if errors:
            raise ValidationError(errors)


class InitiativeAdminForm(forms.ModelForm):
    """The curators' initiative form, refusing a save over someone else's newer one.

    It carries the record's `version` as a hidden field. On save the record is locked,
    and if its version has moved on since the form was opened, the form is refused
    with who changed it and when, and keeps what the curator typed.
    """

    class Meta:
        model = Initiative
        # The admin's fieldsets choose the other fields.
        fields = ["version"]
        widgets = {"version": forms.HiddenInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "version" not in self.fields:
            return
        self.fields["version"].required = False
        instance = self.instance
        if instance.pk is not None and not self.is_bound:
            # The version to check against is the stored one, also when the form shows
            # an earlier version to restore.
            stored = (
                Initiative.objects.filter(pk=instance.pk).values_list("version", flat=True).first()
            )
            if stored is not None:
                self.initial["version"] = stored
        # Restoring an earlier version: its tags too, not today's.
        record = getattr(instance, "_history", None)
        if record is not None and not self.is_bound:
            for name in INITIATIVE_HISTORY_M2M:
                if name in self.fields:
                    target = Initiative._meta.get_field(name).m2m_reverse_field_name() + "_id"
                    self.initial[name] = list(getattr(record, name).values_list(target, flat=True))

    def clean(self):
        cleaned = super().clean()
        if "version" not in self.fields:
            return cleaned
        instance = self.instance
        if instance._state.adding or instance.pk is None:
            cleaned["version"] = instance.version
            return cleaned
        stored = Initiative.objects.filter(pk=instance.pk)
        if transaction.get_connection().in_atomic_block:
            # Held until the save commits, so that two saves cannot both pass the check.
            stored = stored.select_for_update()
        current = stored.values_list("version", flat=True).first()
        if current is None:
            # Restoring a deleted initiative: nothing to overwrite.
            return cleaned
        if cleaned.get("version") != current:
            moment, who = last_change(Initiative, instance.pk)
            raise ValidationError(
                "Someone else changed this initiative while you were editing it "
                f"(at {when_in_words(moment)} by {who}). Your changes were not saved: copy "
                "them, reload the page and apply them again.",
                code="edited_by_someone_else",
            )
        cleaned["version"] = current
        return cleaned
