"""Forms for the curators' admin."""

from collections import defaultdict
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from .models import FundingLine

MAX_YEAR_TOTAL = Decimal("100")


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
        fields = ["year", "funder_type", "funder_name", "share", "source_note"]
        widgets = {"source_note": forms.Textarea(attrs={"rows": 1, "cols": 30})}

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
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or (self.can_delete and self._should_delete_form(form)):
                continue
            share, year = data.get("share"), data.get("year")
            if share is None or year is None:
                continue
            totals[year] += share
        errors = [
            ValidationError(
                f"The shares for {year} add up to {format_percent(total)}%. The shares of one "
                f"year can add up to at most 100%: lower a {year} share or delete a line.",
                code="year_total_over_100",
            )
            for year, total in sorted(totals.items())
            if total > MAX_YEAR_TOTAL
        ]
        if errors:
            raise ValidationError(errors)
