"""Claims and providers in the curators' admin.

A claim waiting for a curator opens on a form: approve it (trusted or not: a sign-in
link is emailed) or refuse it with a reason (emailed back). A provider can be made
trusted, and revoked (their sessions end at once).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count

from ..models import Provider, ProviderClaim
from . import services


class ClaimStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        counts = dict(
            ProviderClaim.objects.order_by().values_list("status").annotate(n=Count("pk"))
        )
        return [
            (value, f"{label} ({counts.get(value, 0):,})")
            for value, label in ProviderClaim.Status.choices
        ]

    def queryset(self, request, queryset):
        if self.value() in ProviderClaim.Status.values:
            return queryset.filter(status=self.value())
        return queryset


class ClaimDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve: email a sign-in link"), ("refuse", "Refuse")],
        widget=forms.RadioSelect,
    )
    trusted = forms.BooleanField(
        required=False,
        label="Trusted",
        help_text="A trusted provider's edits are published at once; otherwise each edit "
        "becomes a suggestion for a curator.",
    )

    class Meta:
        model = ProviderClaim
        fields = ["reason"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "refuse" and not (cleaned.get("reason") or "").strip():
            raise ValidationError({"reason": "Give a reason: it is emailed to the person."})
        return cleaned


@admin.register(ProviderClaim)
class ProviderClaimAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "status", "created_at", "reviewed_by"]
    list_filter = [ClaimStatusFilter]
    list_select_related = ["initiative", "organisation", "reviewed_by"]
    search_fields = ["email", "initiative__name", "organisation__name"]
    search_help_text = "Searches the address and the initiative's and organisation's names."
    readonly_fields = [
        "initiative",
        "organisation",
        "email",
        "status",
        "created_at",
        "reviewed_by",
        "reviewed_at",
        "provider",
        "recorded_domains",
    ]
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="domains the organisation records")
    def recorded_domains(self, obj) -> str:
        return ", ".join(sorted(services.claim_domains(obj.initiative))) or "none that can match"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and obj.status == ProviderClaim.Status.WAITING:
            kwargs["form"] = ClaimDecisionForm
            kwargs["fields"] = ["decision", "trusted", "reason"]
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is not None and obj.status == ProviderClaim.Status.WAITING:
            return [*self.readonly_fields, "decision", "trusted", "reason"]
        return [*self.readonly_fields, "reason"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == ProviderClaim.Status.WAITING:
            return self.readonly_fields
        return [*self.readonly_fields, "reason"]

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        try:
            if decision == "approve":
                services.approve_claim(
                    claim=obj,
                    curator=request.user,
                    trusted=form.cleaned_data.get("trusted", False),
                    base_url=request.build_absolute_uri("/"),
                )
                self.message_user(request, f"Approved: a sign-in link went to {obj.email}.")
            elif decision == "refuse":
                services.refuse_claim(
                    claim=obj, curator=request.user, reason=form.cleaned_data["reason"]
                )
                self.message_user(request, f"Refused: the reason went to {obj.email}.")
        except services.ClaimError as exc:
            self.message_user(request, str(exc), messages.ERROR)

    def message_user(self, request, message, level=messages.INFO, *args, **kwargs):
        # The admin's own "changed successfully" line says nothing true here.
        if "was changed successfully" in str(message):
            return
        super().message_user(request, message, level, *args, **kwargs)


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "trusted", "reminders", "revoked_at", "created_at"]
    list_filter = ["trusted", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "organisation", "initiative"]
    search_fields = ["user__email", "organisation__name", "initiative__name"]
    fields = ["user", "organisation", "initiative", "trusted", "reminders", "revoked_at"]
    readonly_fields = ["user", "organisation", "initiative", "reminders", "revoked_at"]
    actions = ["revoke", "make_trusted"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected providers (ends their sessions)")
    def revoke(self, request, queryset):
        providers = list(queryset.filter(revoked_at__isnull=True))
        for provider in providers:
            services.revoke(provider)
        self.message_user(request, f"Revoked {len(providers)} provider(s).")

    @admin.action(description="Trust the selected providers (their edits publish at once)")
    def make_trusted(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(trusted=True)
        self.message_user(request, f"Trusted {count} provider(s).")
