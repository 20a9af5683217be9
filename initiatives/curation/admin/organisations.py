"""Admin for organisations and their funding lines."""

from django.contrib import admin

from ...models import (
    FundingLine,
    Organisation,
)
from ...services import history_baseline
from ..forms import (
    FundingLineForm,
    FundingLineInlineFormSet,
    OrganisationAdminForm,
)
from .base import URL_FIELDS, HistoryAdmin, child_history, share_display

# Organisations and their funding -------------------------------------------


class FundingLineInline(admin.TabularInline):
    model = FundingLine
    form = FundingLineForm
    formset = FundingLineInlineFormSet
    extra = 1
    verbose_name = "funding line"
    verbose_name_plural = (
        "Funding lines (the shares of one year add up to at most 100%; "
        "the latest year sets the dependency band)"
    )


@admin.register(Organisation)
class OrganisationAdmin(HistoryAdmin):
    form = OrganisationAdminForm
    list_display = [
        "name",
        "legal_form",
        "funding_dependency",
        "largest_share",
        "nhs_share_display",
        "funding_year",
    ]
    list_filter = ["funding_dependency", "legal_form", "annual_income_band"]
    search_fields = ["name", "charity_number", "company_number"]
    formfield_overrides = URL_FIELDS
    inlines = [FundingLineInline]
    readonly_fields = [
        "funding_dependency",
        "largest_share",
        "nhs_share_display",
        "funding_year",
        "uuid",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            "Organisation",
            {
                "fields": [
                    "name",
                    "slug",
                    "legal_form",
                    "charity_number",
                    "company_number",
                    "website",
                ]
            },
        ),
        ("Size", {"fields": ["annual_income_band", "members", "volunteers", "paid_staff"]}),
        (
            "Funding (worked out from the funding lines below when they are saved)",
            {
                "fields": [
                    "funding_dependency",
                    "largest_share",
                    "nhs_share_display",
                    "funding_year",
                ]
            },
        ),
        (
            "Source",
            {
                "fields": [
                    "source_note",
                    "uuid",
                    "created_at",
                    "updated_at",
                    # Hidden: refuses a save over someone else's newer one.
                    "version",
                ]
            },
        ),
    ]

    # The organisation's history page lists its funding lines' changes too.
    object_history_template = "admin/initiatives/organisation/object_history.html"

    @admin.display(description="largest funder share", ordering="largest_funder_share")
    def largest_share(self, obj) -> str:
        return share_display(obj.largest_funder_share)

    def save_related(self, request, form, formsets, change):
        if change:
            history_baseline(
                model=FundingLine,
                pks=list(form.instance.funding_lines.values_list("pk", flat=True)),
            )
        super().save_related(request, form, formsets, change)

    def history_view(self, request, object_id, extra_context=None):
        lines = child_history(FundingLine, "organisation_id", object_id)
        extra_context = {**(extra_context or {}), "funding_line_history": lines}
        return super().history_view(request, object_id, extra_context)

    @admin.display(description="NHS share", ordering="nhs_share")
    def nhs_share_display(self, obj) -> str:
        return share_display(obj.nhs_share)
