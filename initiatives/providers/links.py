"""Sign-in links by email: django-sesame tokens, single use, 30 minutes (reminders:
longer), with a limit on how many are sent per account per hour.

Each link sent is recorded as a hash of its token (never the token), so that a link
that has expired or was used already can be told from one that was never sent (a
forged or mangled token), and so that sends can be counted.
"""

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from sesame.utils import get_token

from ..models import ProviderLink
from .backends import ProviderLinkBackend

# The first key of the PostgreSQL advisory lock that serialises one account's link sends.
LINK_LOCK_SPACE = 18


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def advisory_lock(space: int, key: str) -> None:
    """Hold a lock on (space, key) until the transaction ends (PostgreSQL; SQLite's
    IMMEDIATE transactions let one writer in at a time already)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [space, key])


def links_sent_recently(user) -> int:
    since = timezone.now() - timedelta(hours=1)
    return ProviderLink.objects.filter(user=user, created_at__gte=since).count()


def new_link(
    user, *, base_url: str, next_path: str = "", lifetime: int | None = None, limited=True
):
    """A sign-in link for `user` (a full URL), recorded; None when the account had
    PROVIDER_LINKS_PER_HOUR links in the last hour already. Counted and recorded under
    a lock per account, so parallel requests cannot all pass the count."""
    lifetime = lifetime or settings.SESAME_MAX_AGE
    with transaction.atomic():
        advisory_lock(LINK_LOCK_SPACE, str(user.pk))
        if limited and links_sent_recently(user) >= settings.PROVIDER_LINKS_PER_HOUR:
            return None
        scope = secrets.token_urlsafe(12)
        token = get_token(user, scope=scope)
        ProviderLink.objects.create(
            user=user, token_hash=token_hash(token), scope=scope, lifetime=lifetime
        )
    params = {settings.SESAME_TOKEN_NAME: token}
    if next_path:
        params["next"] = next_path
    return f"{base_url.rstrip('/')}{reverse('providers:sign_in')}?{urlencode(params)}"


class LinkCheck:
    """What a token from a link is: `user` when it signs in now; else `known` says
    whether it is a link we sent (expired or used: `link.user` may get a new one)."""

    def __init__(self, token: str):
        self.link = (
            ProviderLink.objects.select_related("user").filter(token_hash=token_hash(token)).first()
            if token
            else None
        )
        self.known = self.link is not None
        self.user = None
        if self.link is not None and self.link.used_at is None:
            user = ProviderLinkBackend().authenticate(
                None,
                sesame=token,
                scope=self.link.scope,
                max_age=timedelta(seconds=self.link.lifetime),
            )
            if user is not None and user.pk == self.link.user_id:
                self.user = user

    def use(self) -> bool:
        """Mark the link used (once: False when a parallel request used it first)."""
        return bool(
            ProviderLink.objects.filter(pk=self.link.pk, used_at__isnull=True).update(
                used_at=timezone.now()
            )
        )
