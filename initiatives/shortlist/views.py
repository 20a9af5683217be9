"""The shortlist's pages: the list (reorder, remove, a note), adding and removing from
any page, sharing (link, email, QR code, text), the printable list and a shared list.

Adding and removing come from the listing, area and initiative pages, which stay the
same for everyone so that browsers and a CDN can keep them (initiatives/caching.py):
they carry no per-visitor CSRF token. Those two posts are checked instead by where
they come from (Sec-Fetch-Site or Origin must be this site), so another site cannot
post them; nothing else changes without Django's CSRF token. The list page, which is
private to its visitor, carries the token for reordering, the note and clearing.
"""

import functools
import io
from urllib.parse import quote, urlsplit

import segno
from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from ..http import not_found
from . import entries, store, tokens

NOTICES_KEY = "shortlist_notices"
MAX_HEADER = 300


def private(view):
    """The visitor's own page: never kept for anyone else, asked for afresh each time."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_cache=True)
        return response

    return wrapper


def same_site(request) -> bool:
    """Whether a post comes from this site's own pages: the browser's Sec-Fetch-Site, or
    else its Origin, names this site. A client that sends neither (an old browser, a
    script) is let through: all it can do is change its own shortlist."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin == "null":
        return False
    trusted = {urlsplit(o).netloc for o in settings.CSRF_TRUSTED_ORIGINS}
    host = urlsplit(origin).netloc
    return host == request.get_host() or host in trusted


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def safe_next(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def add_notices(request, notices: list[str]) -> None:
    if notices:
        request.session[NOTICES_KEY] = (request.session.get(NOTICES_KEY) or [])[-5:] + notices


def forbidden(request):
    message = "That change came from another site, so it was not made."
    if wants_json(request):
        return JsonResponse({"message": message}, status=403)
    return render(request, "shortlist/refused.html", {"message": message}, status=403)


def count_words(count: int) -> str:
    return f"{count} initiative{'' if count == 1 else 's'}"


def state(request, message: str, **extra) -> JsonResponse:
    ids = store.ids(request.session)
    return JsonResponse({"count": len(ids), "ids": ids, "message": message, **extra})


@csrf_exempt
@require_POST
def add(request):
    """Add one initiative (`id`), or several (`id` repeated or comma-separated, as a
    shared list's "Add these to my shortlist" posts them)."""
    if not same_site(request):
        return forbidden(request)
    parsed = store.parse_ids(request.POST.getlist("id"))
    found = entries.read(parsed.ids, details=False)
    added, full = store.add(request.session, found.ids)
    notices = entries.left_out_notes(found, not_ids=parsed.not_ids, too_many=parsed.too_many)
    if full:
        notices.append(
            f"Your shortlist is full ({store.MAX_ITEMS} initiatives): {count_words(len(full))} "
            "could not be added. Remove one to make room."
        )
    count = len(store.ids(request.session))
    names = [i.name for i in found.initiatives if i.pk in added]
    if len(names) == 1:
        message = f"Added {names[0]} to your shortlist ({count_words(count)})."
    elif names:
        message = f"Added {count_words(len(names))} to your shortlist ({count_words(count)})."
    elif found.ids and not full:
        message = f"Already on your shortlist ({count_words(count)})."
    else:
        message = "Nothing was added to your shortlist."
    if wants_json(request):
        return state(request, " ".join([message, *notices]), added=added, notices=notices)
    add_notices(request, [message, *notices] if (notices or len(found.ids) != 1) else [])
    if notices or len(found.ids) != 1:
        return HttpResponseRedirect(reverse("initiatives:shortlist"))
    return HttpResponseRedirect(safe_next(request, reverse("initiatives:shortlist")))


@csrf_exempt
@require_POST
def remove(request):
    """Take an initiative (`id`) off the shortlist."""
    if not same_site(request):
        return forbidden(request)
    parsed = store.parse_ids(request.POST.getlist("id"))
    removed = store.remove(request.session, parsed.ids)
    count = len(store.ids(request.session))
    message = (
        f"Removed from your shortlist ({count_words(count)} left)."
        if removed
        else f"That was not on your shortlist ({count_words(count)})."
    )
    if wants_json(request):
        return state(request, message, removed=parsed.ids if removed else [])
    if safe_next(request, "") == "":
        add_notices(request, [message])
    return HttpResponseRedirect(safe_next(request, reverse("initiatives:shortlist")))


@require_POST
def edit(request):
    """The list page's own changes (with Django's CSRF token): `action` is `up` or
    `down` (with `id`), `note` (with `note`) or `clear`."""
    action = request.POST.get("action", "")
    page = reverse("initiatives:shortlist")
    parsed = store.parse_ids(request.POST.getlist("id"))
    if action in ("up", "down") and parsed.ids:
        pk = parsed.ids[0]
        store.move(request.session, pk, -1 if action == "up" else 1)
        return HttpResponseRedirect(f"{page}#item-{pk}")
    if action == "note":
        text = request.POST.get("note", "")
        store.set_note(request.session, text)
        if len(text.strip()) > store.MAX_NOTE:
            add_notices(request, [f"The note was cut to its first {store.MAX_NOTE} characters."])
        return HttpResponseRedirect(f"{page}#note")
    if action == "clear":
        store.clear(request.session)
        add_notices(request, ["Your shortlist is now empty."])
        return HttpResponseRedirect(page)
    add_notices(request, ["That change was not understood, so nothing was changed."])
    return HttpResponseRedirect(page)


def share_context(request, initiatives) -> dict:
    """The share link, the text to copy and the email link for a list (never its note)."""
    if not initiatives:
        return {}
    token = tokens.make([i.pk for i in initiatives])
    share_url = request.build_absolute_uri(reverse("initiatives:shared", args=[token]))
    text = entries.plain_text(initiatives, request.build_absolute_uri, share_url)
    subject = f"Shortlist: {count_words(len(initiatives))} from the Community Health Directory"
    return {
        "token": token,
        "share_url": share_url,
        "share_text": text,
        "share_days": tokens.SHARE_DAYS,
        "mailto": f"mailto:?subject={quote(subject)}&body={quote(text)}",
    }


def current(request) -> tuple[entries.Entries, list[str]]:
    """The visitor's shortlist as it stands, dropping what has left the register."""
    session = request.session
    listed = entries.read(store.ids(session))
    notices = list(session.pop(NOTICES_KEY, None) or [])
    if listed.missing:
        store.remove(session, listed.missing)
        gone = len(listed.missing)
        notices.append(
            f"{count_words(gone)} on your shortlist {'is' if gone == 1 else 'are'} no longer "
            f"on the register and {'was' if gone == 1 else 'were'} taken off it."
        )
    return listed, notices


@require_safe
@private
def page(request):
    """The shortlist: reorder, remove, a note for the person, share and print."""
    listed, notices = current(request)
    context = {
        "entries": listed.rows,
        "notices": notices,
        "note": store.note(request.session),
        "max_note": store.MAX_NOTE,
        "max_items": store.MAX_ITEMS,
        "site_url": request.build_absolute_uri("/"),
        **share_context(request, listed.initiatives),
    }
    return render(request, "shortlist/page.html", context)


@require_safe
@private
def printable(request):
    """The list to hand over: the practice's header text (`header`, from the page's own
    form, never stored), the note, and what someone about to go needs."""
    listed, notices = current(request)
    header = request.GET.get("header", "").replace("\r\n", "\n").strip()
    if len(header) > MAX_HEADER:
        notices.append(f"The header text was cut to its first {MAX_HEADER} characters.")
        header = header[:MAX_HEADER]
    context = {
        "entries": listed.rows,
        "notices": notices,
        "note": store.note(request.session),
        "header": header,
        "max_header": MAX_HEADER,
        "site_url": request.build_absolute_uri("/"),
    }
    return render(request, "shortlist/print.html", context)


def _shared_ids(request, token):
    """The ids of a share token, or the response for one that cannot be read."""
    try:
        return tokens.read(token), None
    except tokens.Expired:
        response = render(
            request, "shortlist/expired.html", {"share_days": tokens.SHARE_DAYS}, status=410
        )
        return None, response
    except tokens.Invalid:
        return None, not_found(
            request, "That shortlist link is not one this site made, or it was changed."
        )


@require_safe
@private
def shared(request, token):
    """A shared shortlist, read-only: its initiatives, with a button to add them to
    the visitor's own shortlist."""
    ids, refused = _shared_ids(request, token)
    if refused is not None:
        return refused
    listed = entries.read(ids)
    context = {
        "entries": listed.rows,
        "notices": entries.left_out_notes(listed),
        "ids": ",".join(str(pk) for pk in listed.ids),
        "token": token,
        "share_days": tokens.SHARE_DAYS,
        "site_url": request.build_absolute_uri("/"),
    }
    return render(request, "shortlist/shared.html", context)


@require_safe
def qr_code(request, token):
    """The share link as a QR code, an SVG drawn by segno."""
    _ids, refused = _shared_ids(request, token)
    if refused is not None:
        return refused
    url = request.build_absolute_uri(reverse("initiatives:shared", args=[token]))
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", scale=4, border=4, title="QR code of the shortlist's link"
    )
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    patch_cache_control(response, public=True, max_age=24 * 60 * 60)
    return response
