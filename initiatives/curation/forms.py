"""Forms for the curators' admin."""

from collections import defaultdict
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.forms.models import BaseInlineFormSet

from ..models import (
    INITIATIVE_HISTORY_M2M,
    FundingLine,
    Initiative,
    OpeningTime,
    Organisation,
    share_total_too_high,
)
from ..opening import overlap_message, overlaps
from ..services import database_busy, last_change, when_in_words


def format_percent(value: Decimal) -> str:
    """A share as a curator would write it: 60, 12.5 (never 60.00 or 6E+1)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _skip_saved_rows_check() -> None:
    """Stands in for FundingLine.clean while the inline formset checks the year totals."""


class VersionCheckedForm(forms.ModelForm):
    """A curator's form that refuses a save over someone else's newer one.

    It carries the record's `version` as a hidden field. On save the record is locked,
    and if its version has moved on since the form was opened, the form is refused,
    naming the record and who changed it when, and keeps what the curator typed.
    """

    # How the refusal names the record: "the initiative", "the organisation", ...
    record_noun = "record"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "version" not in self.fields:
            return
        self.fields["version"].required = False
        self.fields["version"].widget = forms.HiddenInput()
        instance = self.instance
        if instance._state.adding:
            # Nothing to compare yet (and an empty extra inline row stays unchanged).
            self.fields["version"].disabled = True
        if instance.pk is not None and not self.is_bound:
            # The version to check against is the stored one, also when the form shows
            # an earlier version to restore.
            stored = (
                type(instance)
                ._default_manager.filter(pk=instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if stored is not None:
                self.initial["version"] = stored

    def clean(self):
        cleaned = super().clean()
        if "version" not in self.fields:
            return cleaned
        instance = self.instance
        if instance._state.adding or instance.pk is None:
            cleaned["version"] = instance.version
            return cleaned
        model = type(instance)
        stored = model._default_manager.filter(pk=instance.pk)
        if transaction.get_connection().in_atomic_block:
            # Held until the save commits, so that two saves cannot both pass the check.
            stored = stored.select_for_update()
        try:
            with transaction.atomic():
                current = stored.values_list("version", flat=True).first()
        except OperationalError as exc:
            if database_busy(exc) is None:
                raise
            # Another save held the record past the lock time limit (DB_LOCK_TIMEOUT).
            raise ValidationError(
                f"Someone else is saving {self.record_noun} \u201c{instance}\u201d right "
                "now, so your changes were not saved. They are still here: save again in a "
                "moment.",
                code="saved_by_someone_else_now",
            ) from exc
        if current is None:
            # Restoring a deleted record: nothing to overwrite.
            return cleaned
        if cleaned.get("version") != current:
            moment, who = last_change(model, instance.pk)
            name = str(model._default_manager.get(pk=instance.pk))
            raise ValidationError(
                f"Someone else changed {self.record_noun} \u201c{name}\u201d while you were "
                f"editing it (at {when_in_words(moment)} by {who}). Your changes were not "
                "saved: copy them, reload the page and apply them again.",
                code="edited_by_someone_else",
            )
        cleaned["version"] = current
        return cleaned


class OrganisationAdminForm(VersionCheckedForm):
    record_noun = "the organisation"

    class Meta:
        model = Organisation
        # The admin's fieldsets choose the other fields.
        fields = ["version"]


class FundingLineForm(VersionCheckedForm):
    """One funding line in an organisation's inline; the formset checks the year totals."""

    record_noun = "the funding line"

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
            "version",
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


class OpeningTimeInlineFormSet(BaseInlineFormSet):
    """An initiative's opening times: two slots of one day must not overlap."""

    def clean(self):
        super().clean()
        slots = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or (self.can_delete and self._should_delete_form(form)):
                continue
            if form.errors:
                continue
            slots.append((form, OpeningTime(**{k: v for k, v in data.items() if k in SLOT_FIELDS})))
        form_of = {id(slot): form for form, slot in slots}
        pairs = overlaps([slot for _, slot in slots])
        for first, second in pairs:
            # On the field of the later slot, where the curator is most likely typing.
            form_of[id(second)].add_error("opens_at", overlap_message(first, second))
        if pairs:
            raise ValidationError(
                "Two opening times of the same day overlap: see the times marked below.",
                code="opening_times_overlap",
            )


SLOT_FIELDS = {"day", "opens_at", "closes_at", "valid_from", "valid_to", "closed"}


class InitiativeAdminForm(VersionCheckedForm):
    """The curators' initiative form, refusing a save over someone else's newer one
    (VersionCheckedForm); restoring an earlier version brings back its tags too."""

    record_noun = "the initiative"

    class Meta:
        model = Initiative
        # The admin's fieldsets choose the other fields.
        fields = ["version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Restoring an earlier version: its tags too, not today's.
        record = getattr(self.instance, "_history", None)
        if record is not None and not self.is_bound:
            for name in INITIATIVE_HISTORY_M2M:
                if name in self.fields:
                    target = Initiative._meta.get_field(name).m2m_reverse_field_name() + "_id"
                    self.initial[name] = list(getattr(record, name).values_list(target, flat=True))
