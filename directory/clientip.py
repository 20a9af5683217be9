"""The address of the client that sent a request, for the suggestion limit and the sign-in
lockout (django-axes, through AXES_CLIENT_IP_CALLABLE).

With TRUSTED_PROXY_COUNT = 0 (the default) it is REMOTE_ADDR. Behind N proxies (a load
balancer is one), each proxy appends the address it was sent from to X-Forwarded-For, so the
N-th address from the right is the one the outermost trusted proxy saw: the client. Entries
further left are whatever the client sent and are never used. A header that is missing, too
short or not an address there falls back to REMOTE_ADDR.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The client's IP address as text (IPv6 in its short form); None if nothing says."""
    remote = request.META.get("REMOTE_ADDR") or None
    # Read on every call, so tests can override it.
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [entry.strip() for entry in forwarded.split(",")]
    if not forwarded.strip() or len(entries) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(entries[-proxies]))
    except ValueError:
        return remote
