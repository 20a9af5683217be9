"""The claim form on an initiative's page, the sign-in link, and the provider area.

The provider area is for provider accounts signed in by link (never staff); every
page checks the account's grants again, so a revoked provider sees nothing.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ..curation.services import CHILD_FIELDS, plain
from ..curation.suggestions import client_hash
from ..http import not_found
from ..models import Contact, Initiative, OpeningTime, Suggestion
from ..services import history_baseline
from ..wording import shown
from . import services
from .backends import BACKEND_PATH
from .forms import (
    PROVIDER_FIELDS,
    ClaimForm,
    ContactFormSet,
    OpeningTimeFormSet,
    ProviderInitiativeForm,
)
from .links import LinkCheck


def base_url(request) -> str:
    return request.build_absolute_uri("/")


# The claim ------------------------------------------------------------------------


def _published(slug):
    return Initiative.objects.published().select_related("organisation").filter(slug=slug).first()


def claim(request, slug):
    """/initiatives/<slug>/claim/: "Is this your organisation?" The answer never says
    whether the address is known."""
    initiative = _published(slug)
    if initiative is None:
        return not_found(request, f"We don\u2019t know an initiative at \u201c{shown(slug)}\u201d.")
    if request.method == "POST":
        form = ClaimForm(request.POST)
        if form.is_bot:
            return HttpResponseRedirect(reverse("initiatives:claim_sent", args=[slug]))
        if form.is_valid():
            done = services.request_claim(
                initiative=initiative,
                email=form.cleaned_data["email"],
                client=client_hash(request),
                base_url=base_url(request),
            )
            if not done:
                response = render(
                    request, "providers/claim_later.html", {"initiative": initiative}, status=429
                )
                response["Retry-After"] = "3600"
                return response
            return HttpResponseRedirect(reverse("initiatives:claim_sent", args=[slug]))
    else:
        form = ClaimForm()
    return render(request, "providers/claim.html", {"form": form, "initiative": initiative})


def claim_sent(request, slug):
    initiative = _published(slug)
    if initiative is None:
        return not_found(request, f"We don\u2019t know an initiative at \u201c{shown(slug)}\u201d.")
    return render(request, "providers/claim_sent.html", {"initiative": initiative})


# Signing in -----------------------------------------------------------------------


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    home = reverse("providers:home")
    if target.startswith(home) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return home


def sign_in(request):
    """/provider/sign-in/?sesame=<token>: the link from the email.

    GET shows a button (a mail scanner that opens the link does not use it up); the
    button's POST signs in. A link we never sent: a plain refusal (400). A link that
    expired or was used: a new one is sent (within the hourly limit).
    """
    token = (request.POST.get("sesame") if request.method == "POST" else None) or request.GET.get(
        "sesame", ""
    )
    check = LinkCheck(token)
    if not check.known:
        return render(request, "providers/link_invalid.html", status=400)
    if check.user is None:
        user = check.link.user
        sent = False
        if services.active_providers(user).exists():
            sent = services.send_sign_in(user, base_url=base_url(request))
        return render(request, "providers/link_expired.html", {"sent": sent}, status=410)
    if request.method == "POST":
        if not check.use():
            return render(request, "providers/link_expired.html", {"sent": False}, status=410)
        login(request, check.user, backend=BACKEND_PATH)
        return HttpResponseRedirect(_next(request))
    return render(request, "providers/sign_in.html", {"token": token, "next": _next(request)})


@require_POST
def sign_out(request):
    logout(request)
    return render(request, "providers/signed_out.html")


# The provider area ----------------------------------------------------------------


def provider_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not services.active_providers(request.user).exists():
            return render(request, "providers/signed_out.html", {"needed": True}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _kept(request, slug):
    """The initiative with this slug, when the signed-in provider keeps it."""
    return services.provider_initiatives(request.user).filter(slug=slug).first()


@provider_required
def home(request):
    initiatives = list(services.provider_initiatives(request.user))
    grants = list(services.active_providers(request.user))
    return render(
        request,
        "providers/home.html",
        {
            "initiatives": initiatives,
            "trusted": any(grant.trusted for grant in grants),
            "reminders": any(grant.reminders for grant in grants),
        },
    )


@provider_required
@require_POST
def reminders(request):
    wanted = request.POST.get("reminders") == "on"
    services.active_providers(request.user).update(reminders=wanted)
    messages.success(
        request,
        "We will email you when a listing is due for review."
        if wanted
        else "We will not email you review reminders.",
    )
    return HttpResponseRedirect(reverse("providers:home"))


@provider_required
def confirm(request, slug):
    """ "Nothing has changed": GET asks, POST renews the stamp."""
    initiative = _kept(request, slug)
    if initiative is None:
        return not_found(request, f"You don\u2019t keep a listing at \u201c{shown(slug)}\u201d.")
    if request.method == "POST":
        services.confirm_unchanged(initiative=initiative, user=request.user)
        messages.success(
            request, f"Thank you: \u201c{initiative.name}\u201d is confirmed as correct today."
        )
        return HttpResponseRedirect(reverse("providers:home"))
    return render(request, "providers/confirm.html", {"initiative": initiative})


def _changed_since(initiative, seen) -> list[str]:
    """The fields a provider sees that changed since the version they opened."""
    try:
        seen = int(seen)
    except (TypeError, ValueError):
        return []
    then = initiative.history.filter(version=seen).order_by("-history_id").first()
    if then is None:
        return []
    now = Initiative.objects.get(pk=initiative.pk)
    return [
        Initiative._meta.get_field(name).verbose_name.capitalize()
        for name in PROVIDER_FIELDS
        if getattr(then, name) != getattr(now, name)
    ]


def _child_rows(formset, key: str) -> list[dict]:
    rows = []
    for form in formset.forms:
        if not form.has_changed() and form.instance.pk is None:
            continue
        if formset.can_delete and formset._should_delete_form(form):
            continue
        data = form.cleaned_data
        rows.append({name: plain(data.get(name)) for name in CHILD_FIELDS[key][1]})
    return rows


@provider_required
def edit(request, slug):
    initiative = _kept(request, slug)
    if initiative is None:
        return not_found(request, f"You don\u2019t keep a listing at \u201c{shown(slug)}\u201d.")
    user = request.user
    grant = services.grant_for(user, initiative)
    changed_since = []
    if request.method == "POST":
        form = ProviderInitiativeForm(request.POST, instance=initiative)
        times = OpeningTimeFormSet(request.POST, instance=initiative, prefix="times")
        contacts = ContactFormSet(request.POST, instance=initiative, prefix="contacts")
        with transaction.atomic():
            valid = all([form.is_valid(), times.is_valid(), contacts.is_valid()])
            changed = [name for name in form.changed_data if name != "version"]
            nothing = valid and not changed and not times.has_changed()
            nothing = nothing and not contacts.has_changed()
            if nothing:
                form.add_error(
                    None,
                    ValidationError(
                        "You have not changed anything. If everything is still correct, "
                        "use \u201cNothing has changed\u201d on your listings page."
                    ),
                )
                valid = False
            if valid and grant.trusted:
                history_baseline(model=Initiative, pks=[initiative.pk])
                history_baseline(
                    model=OpeningTime,
                    pks=list(initiative.opening_times.values_list("pk", flat=True)),
                )
                history_baseline(
                    model=Contact, pks=list(initiative.contacts.values_list("pk", flat=True))
                )
                record = form.save(commit=False)
                services.stamp(record, user)
                record._history_user = user
                record._change_reason = f"Edited by {services.who(user)}"
                record.save()
                times.save()
                contacts.save()
                messages.success(request, f"Published: \u201c{record.name}\u201d is up to date.")
                return HttpResponseRedirect(reverse("providers:home"))
        if valid:
            proposed = {name: getattr(form.instance, name) for name in changed}
            if times.has_changed():
                proposed["opening_times"] = _child_rows(times, "opening_times")
            if contacts.has_changed():
                proposed["contacts"] = _child_rows(contacts, "contacts")
            Suggestion.objects.create(
                kind=Suggestion.Kind.CORRECTION,
                initiative=initiative,
                provider=grant,
                proposed=proposed,
                message=f"Sent by {services.who(user)} from the provider area.",
                contact_email=user.email,
                client_hash=client_hash(request),
            )
            messages.success(
                request,
                "Thank you: a curator will check your changes and publish them "
                "(usually within a few days).",
            )
            return HttpResponseRedirect(reverse("providers:home"))
        if any(error.code == "edited_by_someone_else" for error in form.non_field_errors().data):
            changed_since = _changed_since(initiative, request.POST.get("version"))
    else:
        form = ProviderInitiativeForm(instance=initiative)
        times = OpeningTimeFormSet(instance=initiative, prefix="times")
        contacts = ContactFormSet(instance=initiative, prefix="contacts")
    return render(
        request,
        "providers/edit.html",
        {
            "initiative": initiative,
            "form": form,
            "times": times,
            "contacts": contacts,
            "trusted": grant.trusted,
            "changed_since": changed_since,
        },
    )
