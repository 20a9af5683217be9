"""Admin for the vocabularies (conditions, topics, population groups), areas and
vanguard sites."""

from django import forms
from django.contrib import admin

from ...areas import loop_message
from ...models import (
    Area,
    Condition,
    PopulationGroup,
    Topic,
    VanguardSite,
)

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


AREA_FIELDS = [
    "name",
    "slug",
    "kind",
    "code",
    "ods_code",
    "parent",
    "other_parents",
    "source_note",
]


class AreaForm(forms.ModelForm):
    """Refuses a parent or other parent that already lies within the area: areas are a
    tree with a few extra links, never a loop."""

    class Meta:
        model = Area
        fields = AREA_FIELDS

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned  # nothing lies within an area not yet saved
        chosen = {
            "parent": [cleaned["parent"]] if cleaned.get("parent") else [],
            "other_parents": list(cleaned.get("other_parents") or []),
        }
        if not any(chosen.values()):
            return cleaned
        tree = Area.objects.tree()
        for field, parents in chosen.items():
            for parent in parents:
                chain = tree.loop_if_under(self.instance.pk, [parent.pk])
                if chain is not None:
                    self.add_error(field, loop_message([area.name for area in chain]))
        return cleaned


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    """ONS and NHS areas: curators may look, only administrators (superusers) may change
    them, since every initiative's place in the tiers hangs on them."""

    form = AreaForm
    list_display = ["name", "kind", "code", "parent"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "other_parents"]
    fields = AREA_FIELDS

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(VanguardSite)
class VanguardSiteAdmin(admin.ModelAdmin):
    list_display = ["name", "care_model", "social_movement_site"]
    list_filter = ["care_model", "social_movement_site"]
    search_fields = ["name"]
    autocomplete_fields = ["areas"]
