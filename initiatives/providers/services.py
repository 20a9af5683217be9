"""What providers and curators do with claims, and what a provider's edit does.

Every function that writes does it in one transaction. Nothing here says to the
person asking whether an address is known: the views answer the same either way.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ..curation.suggestions import client_lock
from ..models import Contact, Initiative, Provider, ProviderClaim, ReviewReminder
from ..services import history_baseline
from . import mail
from .domains import email_domain, recorded_domains
from .links import advisory_lock, new_link

# The first key of the PostgreSQL advisory lock that serialises claims for one address.
EMAIL_LOCK_SPACE = 19
REASON_MAX = 2000


class ClaimError(Exception):
    """A curator's decision on a claim could not be made; the message says why."""


# Who may see what ---------------------------------------------------------------------


def active_providers(user):
    if not user.is_authenticated or user.is_staff or user.is_superuser:
        return Provider.objects.none()
    return Provider.objects.filter(user=user, revoked_at__isnull=True)


def provider_initiatives(user):
    """The initiatives `user` keeps: their organisations' and those claimed alone."""
    grants = list(active_providers(user).values_list("organisation_id", "initiative_id"))
    organisations = {org for org, _ in grants if org is not None}
    alone = {initiative for org, initiative in grants if org is None}
    if not grants:
        return Initiative.objects.none()
    return (
        Initiative.objects.filter(Q(organisation_id__in=organisations) | Q(pk__in=alone))
        .exclude(status=Initiative.Status.ARCHIVED)
        .select_related("organisation")
        .order_by("name", "pk")
    )


def grant_for(user, initiative) -> Provider | None:
    """The grant that lets `user` keep `initiative` (a trusted one first), or None."""
    grants = active_providers(user).filter(
        Q(organisation_id=initiative.organisation_id, organisation__isnull=False)
        | Q(initiative=initiative, organisation__isnull=True)
    )
    return grants.order_by("-trusted", "pk").first()


def claim_domains(initiative) -> set[str]:
    """The claimable domains recorded for the initiative's organisation (or for the
    initiative alone, when it has none)."""
    organisation = initiative.organisation
    scope = organisation.initiatives.all() if organisation else [initiative]
    websites = [organisation.website] if organisation else []
    emails = []
    for item in scope:
        websites.append(item.website)
        emails.append(item.email)
    contacts = Contact.objects.filter(initiative__in=[item.pk for item in scope])
    emails += list(contacts.exclude(email="").values_list("email", flat=True))
    return recorded_domains(websites=websites, emails=emails)


# Claims ----------------------------------------------------------------------------


def _recent(queryset) -> int:
    return queryset.filter(created_at__gte=timezone.now() - timedelta(hours=1)).count()


def claim_wait(*, client: str, email: str) -> bool:
    """Whether this client or this address has made as many claims as the hour allows."""
    by_client = _recent(ProviderClaim.objects.filter(client_hash=client))
    by_email = _recent(ProviderClaim.objects.filter(email__iexact=email))
    return (
        by_client >= settings.PROVIDER_CLAIMS_PER_HOUR
        or by_email >= settings.PROVIDER_CLAIMS_PER_EMAIL_PER_HOUR
    )


def provider_user(email: str, *, create: bool = True):
    """The provider account for `email`; None when a staff account holds the address
    (a curator's account can never be claimed)."""
    users = get_user_model()._default_manager.filter(email__iexact=email)
    if any(user.is_staff or user.is_superuser for user in users):
        return None
    user = users.order_by("pk").first()
    if user is None and create:
        user = get_user_model()._default_manager.create_user(
            username=f"provider:{email.lower()}"[:150], email=email.lower()
        )
    return user


def grant(*, user, initiative, trusted: bool = False) -> Provider:
    """The user's grant for the initiative's organisation (or the initiative), made or
    renewed (a revoked grant is only renewed by a curator: see approve_claim)."""
    organisation = initiative.organisation
    lookup = (
        {"organisation": organisation}
        if organisation
        else {"initiative": initiative, "organisation": None}
    )
    provider = Provider.objects.filter(user=user, **lookup).order_by("pk").first()
    if provider is None:
        provider = Provider.objects.create(
            user=user, initiative=initiative, trusted=trusted, **lookup
        )
    return provider


def request_claim(*, initiative, email: str, client: str, base_url: str) -> bool:
    """Someone asks to keep `initiative`'s listing. False when over the hourly limit.

    A matching address gets a sign-in link (and a grant); any other becomes a claim in
    the curators' queue. A staff account's address gets nothing. The caller answers the
    same in every case.
    """
    email = email.strip()
    with transaction.atomic():
        # Counted under locks for the client and the address: parallel requests queue.
        client_lock(client)
        advisory_lock(EMAIL_LOCK_SPACE, email.lower())
        if claim_wait(client=client, email=email):
            return False
        claim = ProviderClaim(
            initiative=initiative,
            organisation=initiative.organisation,
            email=email,
            client_hash=client,
        )
        user = provider_user(email, create=False)
        staff = (
            user is None and get_user_model()._default_manager.filter(email__iexact=email).exists()
        )
        existing = grant_for(user, initiative) if user is not None else None
        revoked = (
            user is not None
            and existing is None
            and Provider.objects.filter(user=user, revoked_at__isnull=False).exists()
        )
        if staff:
            claim.status = ProviderClaim.Status.IGNORED
        elif existing is not None or (
            not revoked and email_domain(email) in claim_domains(initiative)
        ):
            user = user or provider_user(email)
            claim.provider = existing or grant(user=user, initiative=initiative)
            claim.status = ProviderClaim.Status.MATCHED
        elif ProviderClaim.objects.filter(
            initiative=initiative, email__iexact=email, status=ProviderClaim.Status.WAITING
        ).exists():
            # Already in the queue: recorded (it counts), not queued twice.
            claim.status = ProviderClaim.Status.IGNORED
        claim.save()
    if claim.status == ProviderClaim.Status.MATCHED:
        send_sign_in(claim.provider.user, base_url=base_url, initiative=initiative)
    return True


def send_sign_in(user, *, base_url: str, initiative=None, reason: str = "sign_in") -> bool:
    """Email `user` a sign-in link; False when the hourly limit of links held it back."""
    link = new_link(user, base_url=base_url)
    if link is None:
        return False
    return mail.send(reason, user.email, {"link": link, "initiative": initiative, "user": user})


def approve_claim(*, claim: ProviderClaim, curator, trusted: bool, base_url: str) -> Provider:
    with transaction.atomic():
        claim = ProviderClaim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != ProviderClaim.Status.WAITING:
            raise ClaimError(f"This claim was already {claim.get_status_display().lower()}.")
        user = provider_user(claim.email)
        if user is None:
            raise ClaimError(
                "A staff account uses this address: a curator's account can never be "
                "claimed. Refuse the claim."
            )
        provider = grant(user=user, initiative=claim.initiative, trusted=trusted)
        provider.revoked_at = None
        provider.trusted = trusted
        provider.save()
        claim.status = ProviderClaim.Status.APPROVED
        claim.provider = provider
        claim.reviewed_by = curator
        claim.reviewed_at = timezone.now()
        claim.save()
    link = new_link(user, base_url=base_url)
    mail.send(
        "claim_approved",
        user.email,
        {"link": link, "initiative": claim.initiative, "user": user},
    )
    return provider


def refuse_claim(*, claim: ProviderClaim, curator, reason: str) -> ProviderClaim:
    reason = (reason or "").strip()
    if not reason:
        raise ClaimError("Give a reason for refusing the claim: it is emailed to the person.")
    if len(reason) > REASON_MAX:
        raise ClaimError(f"Keep the reason to {REASON_MAX:,} characters.")
    with transaction.atomic():
        claim = ProviderClaim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != ProviderClaim.Status.WAITING:
            raise ClaimError(f"This claim was already {claim.get_status_display().lower()}.")
        claim.status = ProviderClaim.Status.REFUSED
        claim.reason = reason
        claim.reviewed_by = curator
        claim.reviewed_at = timezone.now()
        claim.save()
    mail.send("claim_refused", claim.email, {"initiative": claim.initiative, "reason": reason})
    return claim


def revoke(provider: Provider) -> None:
    """End a provider's grant and, with it, every session of theirs (the sign-in backend
    refuses an account with no grant left, and a new unusable password changes the
    session hash Django checks on every request)."""
    with transaction.atomic():
        Provider.objects.filter(pk=provider.pk).update(revoked_at=timezone.now())
        user = get_user_model()._default_manager.select_for_update().get(pk=provider.user_id)
        if not (user.is_staff or user.is_superuser):
            user.set_unusable_password()
            user.save(update_fields=["password"])


# A provider's changes -----------------------------------------------------------------


def who(user) -> str:
    return f"the provider ({user.email})"


def stamp(initiative: Initiative, user) -> None:
    """The record was confirmed by its provider today (not saved)."""
    initiative.last_verified_on = timezone.localdate()
    initiative.last_verified_by = user
    initiative.checked_by_provider = True


def confirm_unchanged(*, initiative: Initiative, user) -> None:
    """ "Nothing has changed": renews the record's stamp, in its history."""
    with transaction.atomic():
        initiative = Initiative.objects.select_for_update().get(pk=initiative.pk)
        history_baseline(model=Initiative, pks=[initiative.pk])
        stamp(initiative, user)
        initiative._history_user = user
        initiative._change_reason = f"Confirmed by {who(user)}: nothing has changed"
        initiative.save()


# Review reminders ---------------------------------------------------------------------


def reminder_period(initiative: Initiative) -> str:
    """The review period a reminder is for: the date last checked, or "never"."""
    return initiative.last_verified_on.isoformat() if initiative.last_verified_on else "never"


def reminder_recipients(initiative: Initiative) -> list:
    """The provider accounts that keep the initiative and want reminders."""
    grants = Provider.objects.filter(revoked_at__isnull=True, reminders=True).filter(
        Q(organisation_id=initiative.organisation_id, organisation__isnull=False)
        | Q(initiative=initiative, organisation__isnull=True)
    )
    users = {}
    for provider in grants.select_related("user"):
        user = provider.user
        if user.is_active and not (user.is_staff or user.is_superuser) and user.email:
            users[user.pk] = user
    return list(users.values())


def send_review_reminders(*, base_url: str) -> dict[str, int]:
    """Email the providers of each published initiative due for review, once per period.

    The reminder is recorded before it is sent (a unique row per initiative and
    period), so a second run, or two at once, sends nothing twice.
    """
    tally = {"sent": 0, "initiatives": 0, "already": 0, "unclaimed": 0}
    lifetime = settings.PROVIDER_REMINDER_LINK_DAYS * 24 * 60 * 60
    due = (
        Initiative.objects.review_due()
        .filter(status=Initiative.Status.PUBLISHED)
        .select_related("organisation")
        .order_by("pk")
    )
    for initiative in due.iterator(chunk_size=500):
        users = reminder_recipients(initiative)
        if not users:
            tally["unclaimed"] += 1
            continue
        try:
            with transaction.atomic():
                ReviewReminder.objects.create(
                    initiative=initiative,
                    period=reminder_period(initiative),
                    recipients=len(users),
                )
        except IntegrityError:
            tally["already"] += 1
            continue
        tally["initiatives"] += 1
        confirm_path = reverse("providers:confirm", args=[initiative.slug])
        for user in users:
            # Not held back by the hourly limit, which is for links people ask for.
            sign_in = new_link(user, base_url=base_url, lifetime=lifetime, limited=False)
            still_correct = new_link(
                user, base_url=base_url, next_path=confirm_path, lifetime=lifetime, limited=False
            )
            mail.send(
                "review_reminder",
                user.email,
                {
                    "initiative": initiative,
                    "link": sign_in,
                    "still_correct": still_correct,
                    "days": settings.PROVIDER_REMINDER_LINK_DAYS,
                    "base_url": base_url,
                },
            )
            tally["sent"] += 1
    return tally
