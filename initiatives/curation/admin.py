"""The curators' admin: enter, verify, publish and archive records.

Curators archive rather than delete: the "Curator" group (migration 0002) has no
delete permission on initiatives or organisations, so Django hides the delete
button and the bulk delete action from them. Lead curators (migration 0005) and
superusers can delete, and the deletion is kept in the record's history.

Every change to an initiative, organisation or funding line is kept by
django-simple-history: the "History" button on a record lists who changed what and
when, and restores an earlier version (see initiatives/services/history.py for the parts it adds).
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.db import models, transaction
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Value, When
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.csrf import csrf_exempt
from simple_history.admin import SimpleHistoryAdmin

from places.lookup import postcode_not_found_message

from ..exports import export_selected_csv
from ..models import (
    Area,
    Condition,
    FundingLine,
    Initiative,
    Organisation,
    PopulationGroup,
    Suggestion,
    Topic,
    VanguardSite,
)
from ..services import history_baseline, history_snapshot
from .forms import (
    FundingLineForm,
    FundingLineInlineFormSet,
    InitiativeAdminForm,
    format_percent,
)
from .services import SuggestionError, suggestion_accept, suggestion_reject

admin.site.site_header = "Community Health Directory: curators"
admin.site.site_title = "Community Health Directory curators"
admin.site.index_title = "Keep the register"


# A curator who types "example.org" means the secure site.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


def share_display(value) -> str:
    return "-" if value is None else f"{format_percent(value)}%"


# History ----------------------------------------------------------------------


class HistoryAdmin(SimpleHistoryAdmin):
    """A record's history (who changed what, when) with restore, and nothing left out.

    Before a change or a deletion, the record's current state is recorded if its
    history does not show it yet (services.history_baseline), so that the version
    before the change can always be restored.
    """

    # As django-simple-history's own list, without its inline style (the CSP refuses it).
    object_history_list_template = "admin/initiatives/object_history_list.html"

    def save_model(self, request, obj, form, change):
        if change:
            history_baseline(model=type(obj), pks=[obj.pk])
        reason = getattr(request, "history_reason", "")
        if reason:
            obj._change_reason = reason
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        history_baseline(model=type(obj), pks=[obj.pk])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        history_baseline(model=queryset.model, pks=list(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Restore an earlier version; one transaction, so the version check holds its lock."""
        record = self.model.history.filter(history_id=version_id).first()
        if record is not None:
            moment = timezone.localtime(record.history_date)
            request.history_reason = f"Restored the version of {moment:%Y-%m-%d %H:%M}"
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)


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
class OrganisationAdmin(HistoryAdmin):
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
        lines = FundingLine.history.none()
        if str(object_id).isdecimal():
            lines = (
                FundingLine.history.filter(organisation_id=int(object_id))
                .select_related("history_user")
                .order_by("-history_id")[:500]
            )
        extra_context = {**(extra_context or {}), "funding_line_history": lines}
        return super().history_view(request, object_id, extra_context)

    @admin.display(description="NHS share", ordering="nhs_share")
    def nhs_share_display(self, obj) -> str:
        return share_display(obj.nhs_share)


# Initiatives -----------------------------------------------------------------


def review_due_counts() -> dict[str, int]:
    """How many published and draft initiatives are due for review, and their total."""
    counts = dict(
        Initiative.objects.review_due()
        .exclude(status=Initiative.Status.ARCHIVED)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    published = counts.get(Initiative.Status.PUBLISHED, 0)
    draft = counts.get(Initiative.Status.DRAFT, 0)
    return {"published": published, "draft": draft, "total": published + draft}


class ReviewDueFilter(admin.SimpleListFilter):
    """Records not checked within REVIEW_DUE_DAYS; the label shows how many are due."""

    title = "review due"
    parameter_name = "review_due"

    def lookups(self, request, model_admin):
        due = getattr(request, "review_due_count", None)
        if due is None:
            due = review_due_counts()["total"]
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
class InitiativeAdmin(HistoryAdmin):
    form = InitiativeAdminForm
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
        "suggestion_links",
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
                    "suggestion_links",
                    "uuid",
                    "created_at",
                    "updated_at",
                    # Hidden: refuses a save over someone else's newer one.
                    "version",
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

    @admin.display(description="suggestions from the public")
    def suggestion_links(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "-"
        suggestions = Suggestion.objects.filter(
            models.Q(initiative=obj) | models.Q(created_initiative=obj)
        ).order_by("-created_at")[:20]
        if not suggestions:
            return "None"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{} ({}, {})</a></li>',
                (
                    (
                        reverse("admin:initiatives_suggestion_change", args=[s.pk]),
                        s.get_kind_display(),
                        s.get_status_display().lower(),
                        timezone.localtime(s.created_at).strftime("%d %b %Y"),
                    )
                    for s in suggestions
                ),
            ),
        )

    def save_model(self, request, obj, form, change):
        if "last_verified_on" in form.changed_data and obj.last_verified_on:
            obj.last_verified_by = request.user
        # One history record per save, written once the tags are saved too (log_change).
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)
        warning = postcode_not_found_message(obj)
        if warning is not None:
            self.message_user(request, warning, messages.WARNING)

    def log_addition(self, request, obj, message):
        self._record_history(request, obj, "+")
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._record_history(request, obj, "~")
        return super().log_change(request, obj, message)

    def _record_history(self, request, obj, history_type: str) -> None:
        if hasattr(obj, "skip_history_when_saving"):
            del obj.skip_history_when_saving
            history_snapshot(
                model=Initiative,
                pks=[obj.pk],
                user=request.user,
                reason=getattr(request, "history_reason", ""),
                history_type=history_type,
            )

    def changelist_view(self, request, extra_context=None):
        counts = review_due_counts()
        request.review_due_count = counts["total"]
        changelist = reverse("admin:initiatives_initiative_changelist")
        extra_context = {
            **(extra_context or {}),
            "review_due": counts,
            "review_due_url": f"{changelist}?review_due=yes&status__exact=",
            "review_due_days": settings.REVIEW_DUE_DAYS,
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(csrf_exempt(self.import_view)),
                name="initiatives_initiative_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a CSV in the export's format (loading/imports.py); checked in full first."""
        from .imports import import_initiatives_view

        return import_initiatives_view(self, request)

    def _save_each(self, request, queryset, change, done: str) -> int:
        """Apply `change` to each record and save it, so that history records every edit."""
        changed = 0
        with transaction.atomic():
            history_baseline(model=Initiative, pks=list(queryset.values_list("pk", flat=True)))
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


# Suggestions from the public ---------------------------------------------------


class SuggestionStatusFilter(admin.SimpleListFilter):
    """New, accepted or rejected, each with how many there are."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        counts = dict(Suggestion.objects.order_by().values_list("status").annotate(n=Count("pk")))
        return [
            (value, f"{label} ({counts.get(value, 0):,})")
            for value, label in Suggestion.Status.choices
        ]

    def queryset(self, request, queryset):
        if self.value() in Suggestion.Status.values:
            return queryset.filter(status=self.value())
        return queryset


def shown_value(name: str, value) -> str:
    """A proposed or current value in words, for the review page (the template escapes it)."""
    from .suggestions import CHOICE_LABELS

    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if name in CHOICE_LABELS:
        return CHOICE_LABELS[name].get(value, str(value))
    return str(value)


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    """The queue of suggestions: each opens on a review page to accept or reject it."""

    list_display = ["__str__", "kind", "status", "created_at", "has_contact", "reviewed_by"]
    list_display_links = ["__str__"]
    list_filter = [SuggestionStatusFilter, "kind"]
    list_select_related = ["initiative", "reviewed_by"]
    search_fields = ["initiative__name", "message", "contact_email"]
    search_help_text = "Searches the initiative's name, the note and the contact email."
    list_per_page = 50

    def get_ordering(self, request):
        # New ones first, then the most recent.
        waiting = Case(
            When(status=Suggestion.Status.NEW, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return [waiting.asc(), "-created_at"]

    @admin.display(description="contact email", boolean=True)
    def has_contact(self, obj) -> bool:
        return bool(obj.contact_email)

    def has_add_permission(self, request):
        # Suggestions come from the public form.
        return False

    def has_delete_permission(self, request, obj=None):
        # Kept once reviewed, as the record of what was asked; superusers may remove spam.
        return request.user.is_superuser

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The review page: before and after for each field, accept or reject."""
        from django.contrib.admin.utils import unquote
        from django.core.exceptions import PermissionDenied

        suggestion = self.get_object(request, unquote(object_id))
        if suggestion is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, suggestion):
            raise PermissionDenied
        may_review = self.has_change_permission(request, suggestion)
        error = None
        ticked = set()
        reason = ""
        if request.method == "POST":
            if not may_review:
                raise PermissionDenied
            action = request.POST.get("action")
            ticked = set(request.POST.getlist("fields"))
            reason = request.POST.get("reason", "")
            queue = reverse("admin:initiatives_suggestion_changelist") + "?status=new"
            try:
                if action == "accept":
                    correction = suggestion.kind == Suggestion.Kind.CORRECTION
                    initiative = suggestion_accept(
                        suggestion=suggestion,
                        curator=request.user,
                        fields=[n for n in suggestion.proposed if n in ticked]
                        if correction
                        else None,
                    )
                    if correction:
                        applied = len(ticked & set(suggestion.proposed))
                        self.message_user(
                            request,
                            f"Applied {applied} change{'s' * (applied != 1)} to "
                            f"\u201c{initiative}\u201d.",
                            messages.SUCCESS,
                        )
                        return HttpResponseRedirect(queue)
                    self.message_user(
                        request,
                        f"Made the draft \u201c{initiative}\u201d from the suggestion. Finish it "
                        "here, check every detail, and publish it when it is ready.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:initiatives_initiative_change", args=[initiative.pk])
                    )
                if action == "reject":
                    suggestion_reject(suggestion=suggestion, curator=request.user, reason=reason)
                    self.message_user(request, f"Rejected: {suggestion}.", messages.SUCCESS)
                    return HttpResponseRedirect(queue)
                error = "Choose whether to accept or reject the suggestion."
            except SuggestionError as exc:
                error = str(exc)
            suggestion.refresh_from_db()

        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "title": str(suggestion),
            "subtitle": None,
            "suggestion": suggestion,
            "original": suggestion,
            "rows": self.review_rows(suggestion),
            "may_review": may_review and suggestion.status == Suggestion.Status.NEW,
            "error": error,
            "ticked": ticked,
            "reason": reason,
            "has_view_permission": True,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/initiatives/suggestion/review.html", context)

    @staticmethod
    def review_rows(suggestion: Suggestion) -> list[dict]:
        """One row per proposed field: its label, the value now, the value proposed."""
        from .suggestions import LABELS, MODEL_FIELDS, NEW_ONLY_FIELDS

        initiative = suggestion.initiative
        rows = []
        for name in [*MODEL_FIELDS, *NEW_ONLY_FIELDS]:
            if name not in suggestion.proposed:
                continue
            proposed = suggestion.proposed[name]
            row = {
                "name": name,
                "label": LABELS.get(name, name),
                "after": shown_value(name, proposed),
                "applied": name in (suggestion.applied_fields or []),
            }
            if suggestion.kind == Suggestion.Kind.CORRECTION and initiative is not None:
                current = getattr(initiative, name)
                row["before"] = shown_value(name, current)
                row["same"] = current == proposed
            rows.append(row)
        return rows
