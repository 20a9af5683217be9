"""Postcodes in the admin: to look one up, read-only (`manage.py import_postcodes` fills them)."""

from django.contrib import admin
from django.core.exceptions import ValidationError

from .lookup import parse_place_query
from .models import Postcode, PostcodeImport


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Postcode)
class PostcodeAdmin(ReadOnlyAdmin):
    list_display = [
        "postcode",
        "kind",
        "local_authority_code",
        "easting",
        "northing",
        "latitude",
        "longitude",
        "unit_count",
    ]
    list_filter = ["kind"]
    search_fields = ["=postcode"]
    search_help_text = "A postcode (WA7 1AB), sector (WA7 1) or district (WA7), any spacing."
    # 2.7 million rows: no full count on every page.
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        """Match the stored form of what was typed ("wa71ab" finds WA7 1AB)."""
        if not search_term.strip():
            return queryset, False
        try:
            candidates = parse_place_query(search_term).candidates
        except ValidationError:
            return queryset.none(), False
        return queryset.filter(postcode__in=candidates), False


@admin.register(PostcodeImport)
class PostcodeImportAdmin(ReadOnlyAdmin):
    list_display = ["dataset", "scope", "step", "rows", "finished_at"]
    list_filter = ["dataset"]
