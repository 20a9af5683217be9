"""Admin sign-in lockout (django-axes), with a ceiling per account.

django-axes pauses sign-in for a username from one address after AXES_FAILURE_LIMIT
failures. Someone guessing a curator's password from many addresses would never reach
that, so this handler also pauses the account, from every address, once its failures
from all addresses together reach AXES_ACCOUNT_FAILURE_LIMIT within the cool-off
time, and alerts the admins (an error in the log, which Sentry reports, and an email
to ADMINS when it is set).
"""

import logging

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core.mail import mail_admins
from django.db.models import Count, Sum

logger = logging.getLogger("directory.signin")


class AccountCeilingHandler(AxesDatabaseHandler):
    """AxesDatabaseHandler, plus a lockout of the account after its ceiling of failures
    from any addresses."""

    def account_failures(self, request, credentials=None) -> tuple[int, int]:
        """Failures for the request's username within the cool-off, from all addresses,
        and how many addresses they came from."""
        username = get_client_username(request, credentials)
        if not username:
            return 0, 0
        totals = AccessAttempt.objects.filter(
            username=username, attempt_time__gte=get_cool_off_threshold(request)
        ).aggregate(
            failures=Sum("failures_since_start"), addresses=Count("ip_address", distinct=True)
        )
        return totals["failures"] or 0, totals["addresses"] or 0

    def get_failures(self, request, credentials=None) -> int:
        failures = super().get_failures(request, credentials)
        account, _ = self.account_failures(request, credentials)
        if account >= settings.AXES_ACCOUNT_FAILURE_LIMIT:
            # As many as the per-address limit: axes pauses the account everywhere.
            request.account_paused = True  # the paused page says why
            return max(failures, get_failure_limit(request, credentials))
        return failures

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        account, addresses = self.account_failures(request, credentials)
        # Failures stop being counted once the account is paused, so this is said once.
        if account == settings.AXES_ACCOUNT_FAILURE_LIMIT:
            alert_account_paused(get_client_username(request, credentials), account, addresses)


def alert_account_paused(username: str, failures: int, addresses: int) -> None:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    logger.error(
        "Sign-in paused for an account from every address: %d failed attempts from %d "
        "addresses within %d minutes",
        failures,
        addresses,
        minutes,
    )
    mail_admins(
        "Sign-in paused for a curator's account",
        f"The account \u201c{username}\u201d had {failures} failed sign-in attempts from "
        f"{addresses} addresses within {minutes} minutes, so its sign-in is paused from "
        f"every address for {minutes} minutes. If it was not its owner, someone may be "
        "guessing its password: check the account in the admin (Axes, Access attempts).",
        fail_silently=True,
    )
