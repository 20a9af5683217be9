"""Addresses of listing pages: the same params with one changed, and page links."""

from django.http import QueryDict
from django.urls import NoReverseMatch, reverse

from .params import drop_paging


def listing_url(params: QueryDict) -> str:
    encoded = params.urlencode()
    return reverse("initiatives:list") + (f"?{encoded}" if encoded else "")


def without(params: QueryDict, key: str, value: str | None = None) -> str:
    """The listing's address with one param (or one of its values) and the page dropped."""
    copy = params.copy()
    drop_paging(copy)
    if value is None:
        copy.pop(key, None)
    else:
        copy.setlist(key, [v for v in copy.getlist(key) if v != value])
    return listing_url(copy)


def with_param(params: QueryDict, key: str, value: str) -> str:
    """The listing's address with one param set (replacing its values) and the page dropped."""
    copy = params.copy()
    drop_paging(copy)
    copy[key] = value
    return listing_url(copy)


def with_page(params: QueryDict, number: int) -> str:
    copy = params.copy()
    drop_paging(copy)
    if number > 1:
        copy["page"] = str(number)
    return listing_url(copy)


def page_links(page, params: QueryDict) -> list[dict]:
    """Numbered links: the first, the last, and two either side of the current page."""
    last = page.paginator.num_pages
    wanted = {1, last} | set(range(page.number - 2, page.number + 3))
    links, previous = [], 0
    for number in sorted(n for n in wanted if 1 <= n <= last):
        if number - previous > 1:
            links.append({"gap": True})
        links.append(
            {"number": number, "url": with_page(params, number), "current": number == page.number}
        )
        previous = number
    return links


def export_path(extension: str = "csv") -> str:
    """The path of the export in that format ("csv" or "xlsx")."""
    try:
        return reverse(f"initiatives:export_{extension}")
    except NoReverseMatch:
        return f"/initiatives/export.{extension}"
