"""The curators' admin: enter, verify, publish and archive records (DESIGN.md section 1).

Curators archive rather than delete: the "Curator" group (migration 0002) has no
delete permission on initiatives or organisations, so Django hides the delete
button and the bulk delete action from them. Superusers can still delete.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.db import models, transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When
from django.utils import timezone

from .exports import export_selected_csv
from .forms import FundingLineForm, FundingLineInlineFormSet, format_percent
from .models import (
    Area,
    Condition,
    FundingLine,
    Initiative,
    Organisation,
    PopulationGroup,
    Topic,
    VanguardSite,
)

admin.site.site_header = "Community Health Directory: curators"
admin.site.site_title = "Community Health Directory curators"
admin.site.index_title = "Keep the register"


# A curator who types "example.org" means the secure site.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


def share_display(value) -> str:
    return "-" if value is None else f"{format_percent(value)}%"


# Vocabularies ---------------------------------------------------------------


class VocabularyAdmin(admin.ModelAdmin):
    """A term that initiatives are tagged with; curators may delete it only when unused."""

    list_display = ["name", "slug"]
    search_fields = ["name"]
    readonly_fields = ["initiative_count"]

    @admin.display(description="initiatives tagged")
    def initiative_count(self, obj) -> int:
        return obj.initiatives.count() if obj.pk else 0

    def get_deleted_objects(self, objs, request):
        """Refuse to delete a term still in use unless the user is a superuser."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if not request.user.is_superuser:
            for term in objs:
                names = list(term.initiatives.order_by("name").values_list("name", flat=True)[:11])
                protected.extend(f"Initiative: {name} (uses {term})" for name in names[:10])
                if len(names) > 10:
                    protected.append(f"... and more initiatives that use {term}")
        return deleted, model_count, perms_needed, protected


@admin.register(Condition)
class ConditionAdmin(VocabularyAdmin):
    list_display = ["name", "is_rare", "slug"]
    list_filter = ["is_rare"]


@admin.register(Topic)
class TopicAdmin(VocabularyAdmin):
    pass


@admin.register(PopulationGroup)
class PopulationGroupAdmin(VocabularyAdmin):
    pass


# Areas and vanguards --------------------------------------------------------


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "parent"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "other_parents"]
    fields = ["name", "slug", "kind", "code", "ods_code", "parent", "other_parents", "source_note"]


@admin.register(VanguardSite)
class VanguardSiteAdmin(admin.ModelAdmin):
    list_display = ["name", "care_model", "social_movement_site"]
    list_filter = ["care_model", "social_movement_site"]
    search_fields = ["name"]
    autocomplete_fields = ["areas"]


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
class OrganisationAdmin(admin.ModelAdmin):
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
        ("Source", {"fields": ["source_note", "uuid", "created_at", "updated_at"]}),
    ]

    @admin.display(description="largest funder share", ordering="largest_funder_share")
    def largest_share(self, obj) -> str:
        return share_display(obj.largest_funder_share)

    @admin.display(description="NHS share", ordering="nhs_share")
    def nhs_share_display(self, obj) -> str:
        return share_display(obj.nhs_share)


# Initiatives -----------------------------------------------------------------


class ReviewDueFilter(admin.SimpleListFilter):
    """Records not checked within REVIEW_DUE_DAYS; the label shows how many are due."""

    title = "review due"
    parameter_name = "review_due"

    def lookups(self, request, model_admin):
        due = Initiative.objects.review_due().exclude(status=Initiative.Status.ARCHIVED).count()
        return [("yes", f"Due for review ({due:,} not archived)"), ("no", "Checked recently")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.review_due()
        if self.value() == "no":
            return queryset.exclude(pk__in=Initiative.objects.review_due().values("pk"))
        return queryset


class RareConditionFilter(admin.SimpleListFilter):
    title = "rare condition"
    parameter_name = "rare_condition"

    def lookups(self, request, model_admin):
        return [("yes", "Serves a rare condition"), ("no", "No rare condition")]

    def queryset(self, request, queryset):
        rare = Exists(
            Initiative.conditions.through.objects.filter(
                initiative_id=OuterRef("pk"), condition__is_rare=True
            )
        )
        if self.value() == "yes":
            return queryset.filter(rare)
        if self.value() == "no":
            return queryset.exclude(rare)
        return queryset


class AreaServedFilter(admin.SimpleListFilter):
    """Initiatives serving an area or any area within it (an ICB includes its districts)."""

    title = "area served (including areas within it)"
    parameter_name = "area"

    KIND_ORDER = Case(
        *(When(kind=kind, then=Value(n)) for n, kind in enumerate(Area.Kind.values)),
        output_field=IntegerField(),
    )

    def lookups(self, request, model_admin):
        areas = Area.objects.order_by(self.KIND_ORDER, "name").values_list("slug", "name", "kind")
        kinds = dict(Area.Kind.choices)
        return [(slug, f"{name} ({kinds.get(kind, kind)})") for slug, name, kind in areas]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        area = Area.objects.filter(slug=self.value()).first()
        return queryset.in_area(area) if area else queryset.none()


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "organisation",
        "role",
        "status",
        "last_verified_on",
        "is_review_due",
        "vanguard",
    ]
    list_filter = [
        "status",
        "role",
        ReviewDueFilter,
        "funding_dependency",
        "national",
        AreaServedFilter,
        "conditions",
        RareConditionFilter,
        "vanguard",
    ]
    list_select_related = ["organisation", "vanguard"]
    search_fields = ["name", "summary", "organisation__name"]
    search_help_text = "Searches names, summaries and organisation names."
    formfield_overrides = URL_FIELDS
    autocomplete_fields = [
        "organisation",
        "areas",
        "conditions",
        "topics",
        "population_groups",
        "vanguard",
    ]
    radio_fields = {"status": admin.HORIZONTAL, "role": admin.VERTICAL}
    readonly_fields = [
        "funding_dependency",
        "largest_share",
        "nhs_share_display",
        "location",
        "last_verified_by",
        "uuid",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        ("What it is", {"fields": ["name", "slug", "organisation", "summary", "description"]}),
        (
            "What it does and for whom",
            {
                "fields": [
                    "role",
                    "topics",
                    "conditions",
                    "population_groups",
                    ("min_age", "max_age"),
                ]
            },
        ),
        ("Where", {"fields": ["areas", "national", "vanguard"]}),
        (
            "How to access",
            {
                "fields": [
                    ("self_referral", "professional_referral", "drop_in", "membership"),
                    "cost",
                ]
            },
        ),
        (
            "Contact and location",
            {"fields": ["website", "email", "phone", "address", "postcode", "location"]},
        ),
        (
            "Funding (from the organisation's funding lines)",
            {"fields": ["funding_dependency", "largest_share", "nhs_share_display"]},
        ),
        (
            "Publication and source",
            {
                "fields": [
                    "status",
                    "last_verified_on",
                    "last_verified_by",
                    "source_note",
                    "uuid",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]
    actions = ["publish", "archive", "mark_verified_today", export_selected_csv]

    @admin.display(description="review due", boolean=True)
    def is_review_due(self, obj) -> bool:
        return obj.review_due

    @admin.display(description="largest funder share")
    def largest_share(self, obj) -> str:
        return share_display(obj.largest_funder_share)

    @admin.display(description="NHS share")
    def nhs_share_display(self, obj) -> str:
        return share_display(obj.nhs_share)

    @admin.display(description="location")
    def location(self, obj) -> str:
        if obj.latitude is None or obj.longitude is None:
            return "Not located yet (worked out from the postcode)"
        return f"{obj.latitude:.5f}, {obj.longitude:.5f}"

    def view_on_site(self, obj):
        # Only published records have a public page.
        if obj.status == Initiative.Status.PUBLISHED:
            return obj.get_absolute_url()
        return None

    def save_model(self, request, obj, form, change):
        if "last_verified_on" in form.changed_data and obj.last_verified_on:
            obj.last_verified_by = request.user
        super().save_model(request, obj, form, change)

    def _save_each(self, request, queryset, change, done: str) -> int:
        """Apply `change` to each record and save it, so that history records every edit."""
        changed = 0
        with transaction.atomic():
            for initiative in queryset.select_related("organisation").iterator(chunk_size=500):
                change(initiative)
                initiative.save()
                changed += 1
        self.message_user(
            request, f"{changed} {model_ngettext(self.opts, changed)} {done}.", messages.SUCCESS
        )
        return changed

    def _set_status(self, request, queryset, status: str, done: str) -> None:
        selected = queryset.count()

        def change(initiative):
            initiative.status = status

        changed = self._save_each(request, queryset.exclude(status=status), change, done)
        if selected > changed:
            unchanged = selected - changed
            self.message_user(
                request,
                f"{unchanged} {model_ngettext(self.opts, unchanged)} already {done}: "
                "left as they were.",
                messages.INFO,
            )

    @admin.action(description="Publish the selected initiatives", permissions=["change"])
    def publish(self, request, queryset):
        self._set_status(request, queryset, Initiative.Status.PUBLISHED, "published")

    @admin.action(description="Archive the selected initiatives", permissions=["change"])
    def archive(self, request, queryset):
        self._set_status(request, queryset, Initiative.Status.ARCHIVED, "archived")

    @admin.action(
        description="Mark the selected initiatives as verified today", permissions=["change"]
    )
    def mark_verified_today(self, request, queryset):
        today = timezone.localdate()

        def change(initiative):
            initiative.last_verified_on = today
            initiative.last_verified_by = request.user

        self._save_each(request, queryset, change, "marked as verified today")
