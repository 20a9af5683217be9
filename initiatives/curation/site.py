"""The curators' admin site: its index opens on the work queue.

Each line of the queue is a count that links to the changelist filtered to those
records (the "to do" filter, admin/initiatives.py; "waiting" suggestions on theirs).
"""

from django.contrib import admin
from django.urls import reverse


def work_queue(request) -> list[dict]:
    """The queue's lines (label, count, link), a query each; only those the user may see."""
    from ..models import Suggestion

    lines = []
    if request.user.has_perm("initiatives.view_suggestion"):
        waiting = Suggestion.objects.filter(status=Suggestion.Status.NEW).count()
        lines.append(
            {
                "key": "suggestions",
                "label": "Suggestions from the public waiting for review",
                "count": waiting,
                "url": reverse("admin:initiatives_suggestion_changelist") + "?status=new",
            }
        )
    if request.user.has_perm("initiatives.view_providerclaim"):
        from ..models import ProviderClaim

        claims = ProviderClaim.objects.filter(status=ProviderClaim.Status.WAITING).count()
        lines.append(
            {
                "key": "claims",
                "label": "Claims by providers waiting for a curator",
                "count": claims,
                "url": reverse("admin:initiatives_providerclaim_changelist") + "?status=waiting",
            }
        )
    if request.user.has_perm("initiatives.view_initiative"):
        from .admin.initiatives import TO_DO, to_do_counts

        counts = to_do_counts()
        changelist = reverse("admin:initiatives_initiative_changelist")
        lines += [
            {"key": key, "label": label, "count": counts[key], "url": f"{changelist}?to_do={key}"}
            for key, label in TO_DO
        ]
    return lines


class CurationAdminSite(admin.AdminSite):
    site_header = "Community Health Directory: curators"
    site_title = "Community Health Directory curators"
    index_title = "Keep the register"
    index_template = "admin/work_queue_index.html"
    # The side list of every model takes a third of a 1366 pixel screen from the
    # changelist; the index and the breadcrumbs lead everywhere it does.
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        extra_context = {"work_queue": work_queue(request), **(extra_context or {})}
        return super().index(request, extra_context)
