"""The provider sign-in backend: a django-sesame token, for provider accounts only.

Staff and superusers are never signed in by link, and a provider whose every grant is
revoked is not either: `get_user` runs on every request of a session too, so revoking
ends a provider's sessions at once.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from sesame.backends import SesameBackendMixin

BACKEND_PATH = "initiatives.providers.backends.ProviderLinkBackend"


def provider_users():
    """Accounts that may sign in by link: active, never staff, with a grant not revoked."""
    return (
        get_user_model()
        ._default_manager.filter(
            is_active=True,
            is_staff=False,
            is_superuser=False,
            providers__revoked_at__isnull=True,
        )
        .distinct()
    )


class ProviderLinkBackend(SesameBackendMixin, BaseBackend):
    def get_user(self, user_id):
        return provider_users().filter(pk=user_id).first()
