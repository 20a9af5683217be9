"""Admin for initiatives: the changelist with its filters, bulk actions, the CSV
upload and export, and the edit page."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.db import models
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Value, When
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.csrf import csrf_exempt

from places.lookup import postcode_not_found_message

from ...completeness import completeness
from ...exports import export_selected_csv
from ...models import (
    Area,
    Contact,
    Initiative,
    OpeningTime,
    Suggestion,
)
from ...services import history_baseline, history_snapshot
from ...validators import PUBLIC_TEXT_FIELDS, note_to_self_warning
from ..bulk import ACTIONS, apply_action
from ..forms import (
    InitiativeAdminForm,
    OpeningTimeInlineFormSet,
)
from ..jobs import start_action_job
from .base import URL_FIELDS, HistoryAdmin, child_history, share_display

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


# The work queue's lines about records (curation/site.py): key -> label. Each is a value
# of the "to do" filter, so that the queue's count links to exactly those records.
TO_DO = [
    ("review_due", "Records due for review (not archived)"),
    ("never_checked", "Records never checked (not archived)"),
    ("no_contact", "Records with no contact details (not archived)"),
    ("public_text", "Published records whose public text reads like a note to self"),
]


def to_do_queryset(key: str):
    """The records of one line of the work queue, or None for an unknown key."""
    initiatives = Initiative.objects.all()
    not_archived = initiatives.exclude(status=Initiative.Status.ARCHIVED)
    if key == "review_due":
        return not_archived.review_due()
    if key == "never_checked":
        return not_archived.never_checked()
    if key == "no_contact":
        return not_archived.without_contact()
    if key == "public_text":
        return initiatives.published().notes_to_self_in_public_text()
    return None


def to_do_counts() -> dict[str, int]:
    """How many records each line of the work queue holds: one count each, on the same
    queryset the filter gives (each on an index, but for the contact details)."""
    return {key: to_do_queryset(key).order_by().count() for key, _label in TO_DO}


class ToDoFilter(admin.SimpleListFilter):
    """The work queue's lines, each a filter (the admin index links to them)."""

    title = "to do"
    parameter_name = "to_do"

    def lookups(self, request, model_admin):
        return TO_DO

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        wanted = to_do_queryset(self.value())
        if wanted is None:
            return queryset.none()
        return queryset.filter(pk__in=wanted.order_by().values("pk"))


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


class OpeningTimeInline(admin.TabularInline):
    model = OpeningTime
    formset = OpeningTimeInlineFormSet
    fields = ["day", "opens_at", "closes_at", "valid_from", "valid_to", "closed", "note"]
    extra = 1
    verbose_name_plural = (
        "Opening times (a weekly slot per row; give dates for seasonal times or an "
        "exception, or tick \u201cclosed\u201d with dates for a closure)"
    )


class ContactInline(admin.TabularInline):
    model = Contact
    fields = ["name", "title", "phone", "email"]
    extra = 1
    verbose_name_plural = "Contacts (published: people or desks the public may contact)"


# The initiative's children whose history is kept beside its own.
CHILD_MODELS = [(OpeningTime, "opening_times"), (Contact, "contacts")]


@admin.register(Initiative)
class InitiativeAdmin(HistoryAdmin):
    form = InitiativeAdminForm
    inlines = [OpeningTimeInline, ContactInline]
    # Few and narrow, so that the changelist fits a 1366 pixel screen beside its filters.
    list_display = [
        "name",
        "organisation",
        "status",
        "last_verified_on",
        "completeness_score",
    ]
    list_filter = [
        ToDoFilter,
        "status",
        "lifecycle",
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
        "completeness_detail",
    ]
    fieldsets = [
        ("What it is", {"fields": ["name", "slug", "organisation", "summary", "description"]}),
        ("Lifecycle", {"fields": ["lifecycle", ("started_in", "ended_in")]}),
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
            "How to access (leave a way in unknown when no source says)",
            {
                "fields": [
                    ("self_referral", "self_referral_contact"),
                    ("professional_referral", "professional_referral_contact"),
                    ("drop_in", "drop_in_contact"),
                    ("waiting_list", "waiting_list_contact"),
                    ("membership", "membership_contact"),
                    ("cost", "cost_detail"),
                    ("by_appointment", "opening_notes"),
                ]
            },
        ),
        (
            "Contact and location",
            {
                "fields": [
                    "website",
                    "email",
                    "phone",
                    "address",
                    "postcode",
                    "located_in_town",
                    "location",
                    "languages",
                    ("step_free_access", "hearing_loop", "bsl"),
                    "accessibility_note",
                ]
            },
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
                    "curator_note",
                    "completeness_detail",
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
    # The initiative's history page lists its opening times' and contacts' changes too.
    object_history_template = "admin/initiatives/initiative/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        children = {
            "opening_time_history": child_history(OpeningTime, "initiative_id", object_id),
            "contact_history": child_history(Contact, "initiative_id", object_id),
        }
        extra_context = {**(extra_context or {}), **children}
        return super().history_view(request, object_id, extra_context)

    @admin.display(description="complete")
    def completeness_score(self, obj) -> str:
        return str(completeness(obj))

    @admin.display(description="completeness")
    def completeness_detail(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "-"
        found = completeness(obj)
        missing = (
            format_html(
                "<br>Missing: {}", format_html_join(", ", "{}", ((m,) for m in found.missing))
            )
            if found.missing
            else ""
        )
        return format_html(
            "{} of {} recorded{}<br>Recorded: {}",
            found.score,
            found.total,
            missing,
            ", ".join(found.present) or "none",
        )

    @admin.display(description="largest funder share")
    def largest_share(self, obj) -> str:
        return share_display(obj.largest_funder_share)

    @admin.display(description="NHS share")
    def nhs_share_display(self, obj) -> str:
        return share_display(obj.nhs_share)

    @admin.display(description="location")
    def location(self, obj) -> str:
        if obj.latitude is None or obj.longitude is None:
            return "Not located yet (worked out from the postcode, else the town)"
        point = f"{obj.latitude:.5f}, {obj.longitude:.5f}"
        if obj.location_precision:
            return f"{point} ({obj.get_location_precision_display().lower()})"
        return point

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
            obj.checked_by_provider = False
        # One history record per save, written once the tags are saved too (log_change).
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)
        warnings = [postcode_not_found_message(obj)] + [
            note_to_self_warning(Initiative._meta.get_field(name).verbose_name, getattr(obj, name))
            for name in PUBLIC_TEXT_FIELDS
        ]
        for warning in warnings:
            if warning is not None:
                self.message_user(request, warning, messages.WARNING)

    def save_related(self, request, form, formsets, change):
        # The opening times' and contacts' state before this save, if their history
        # does not show it yet (rows written in bulk by an import).
        if change:
            for model, relation in CHILD_MODELS:
                history_baseline(
                    model=model,
                    pks=list(getattr(form.instance, relation).values_list("pk", flat=True)),
                )
        super().save_related(request, form, formsets, change)

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
            path(
                "import/problems.csv",
                self.admin_site.admin_view(self.import_problems_view),
                name="initiatives_initiative_import_problems",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a CSV in the export's format (loading/imports.py); checked in full first."""
        from ..imports import import_initiatives_view

        return import_initiatives_view(self, request)

    def import_problems_view(self, request):
        """The last refused upload's problems, as CSV."""
        from ..imports import import_problems_csv_view

        return import_problems_csv_view(self, request)

    def _bulk(self, request, queryset, name: str):
        """Run a bulk action (curation/bulk.py) here, or, over every record matching the
        filter (the curator chose "select all") or more than a page of them, as a job
        that a worker runs: the job keeps the changelist's filter, never a list of ids."""
        action = ACTIONS[name]
        across = request.POST.get("select_across") == "1"
        if across or queryset.count() > self.list_per_page:
            job = start_action_job(
                action=name,
                querystring=request.GET.urlencode(),
                description=action.description.replace("the selected", "all matching")
                + (f" (filter: {request.GET.urlencode()})" if request.GET else ""),
                user=request.user,
            )
            self.message_user(
                request,
                f"{action.description.replace('the selected', 'All matching')}: "
                "a worker is doing it now. This page shows when it is done.",
                messages.INFO,
            )
            return HttpResponseRedirect(reverse("admin:initiatives_job_change", args=[job.pk]))
        outcome = apply_action(action, queryset, user=request.user)
        self.message_user(
            request,
            f"{outcome.changed} {model_ngettext(self.opts, outcome.changed)} {action.done}.",
            messages.SUCCESS,
        )
        if outcome.unchanged:
            self.message_user(
                request,
                f"{outcome.unchanged} {model_ngettext(self.opts, outcome.unchanged)} already "
                f"{action.done}: left as they were.",
                messages.INFO,
            )
        if outcome.gone:
            self.message_user(
                request,
                f"{outcome.gone} {model_ngettext(self.opts, outcome.gone)} no longer in the "
                "register (deleted by someone else): nothing to change.",
                messages.WARNING,
            )
        return None

    @admin.action(description=ACTIONS["publish"].description, permissions=["change"])
    def publish(self, request, queryset):
        return self._bulk(request, queryset, "publish")

    @admin.action(description=ACTIONS["archive"].description, permissions=["change"])
    def archive(self, request, queryset):
        return self._bulk(request, queryset, "archive")

    @admin.action(description=ACTIONS["mark_verified_today"].description, permissions=["change"])
    def mark_verified_today(self, request, queryset):
        return self._bulk(request, queryset, "mark_verified_today")
