"""Site-wide middleware: request ids and the request log, health checks, headers, routing."""

import logging
import re
import time
import uuid

import sentry_sdk
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings
from django.db import OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

from initiatives.services import database_busy

from .errors import api_error, body_too_large, is_api
from .logging import request_id_var
from .maps import tile_source
from .routers import use_primary

request_logger = logging.getLogger("directory.request")

# An incoming X-Request-ID (from the load balancer) is kept only when it is a UUID-like
# token: 8 to 64 letters, digits and hyphens. Anything else (dots, colons, slashes, spaces,
# markup, a longer string) gets a fresh id, so nothing a client sends reaches a log line,
# a response header or an error report unless it is plainly an id.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RequestIDMiddleware:
    """Gives each request an id, returns it in X-Request-ID and writes one log line per request.

    Placed first, so the id covers every other middleware and the line records
    what the client actually received.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.report_to_sentry = bool(getattr(settings, "SENTRY_DSN", ""))

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        if self.report_to_sentry:
            # Lets an error report be matched with the log lines and the user's X-Request-ID.
            sentry_sdk.set_tag("request_id", request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if response.streaming:
                # A streamed file (the CSV export) is made while it is sent: its line is
                # written once the last piece has gone, with the time that took.
                response.streaming_content = self._logged_when_sent(
                    response.streaming_content, request, response, started, request_id
                )
            else:
                self._log(request, response, started)
            return response
        finally:
            request_id_var.reset(token)

    @staticmethod
    def _log(request, response, started: float, request_id: str | None = None) -> None:
        status = response.status_code
        kept = response.get("X-Page-Cache")
        request_logger.log(
            logging.WARNING if status >= 500 else logging.INFO,
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                "method": request.method,
                # The path only: query strings can hold postcodes.
                "path": request.path,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                **({"request_id": request_id} if request_id else {}),
                # Whether the page came whole from the page cache ("hit") or was made.
                **({"page_cache": kept} if kept else {}),
                # Made without some of its figures, which are counted in the background.
                **({"incomplete": True} if getattr(response, "incomplete", False) else {}),
            },
        )

    def _logged_when_sent(self, content, request, response, started, request_id):
        try:
            yield from content
        finally:
            self._log(request, response, started, request_id)


class HealthCheckMiddleware:
    """Answers GET /healthz before the host check, the HTTPS redirect and the session.

    Load balancers and the container probe the app over plain HTTP at its IP
    address, which is not in ALLOWED_HOSTS. This never calls request.get_host(),
    so no host is trusted; the answer says only whether the database is up.
    """

    def __init__(self, get_response):
        from .views import healthz

        self.get_response = get_response
        self.healthz = healthz

    def __call__(self, request):
        if request.path_info == "/healthz" and request.method in {"GET", "HEAD"}:
            return self.healthz(request)
        return self.get_response(request)


class ApiErrorsMiddleware:
    """Under /api/, errors fit the client: JSON in the API's error shape, always.

    A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused with a 413 before anything
    reads it (the CSRF check would otherwise read it first). Any answer of 400 or more
    that is not JSON (a page from Django, from a middleware or from a library) is
    replaced by the shape, with the same status. Other paths pass untouched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api(request):
            return self.get_response(request)
        if body_too_large(request):
            return api_error(413)
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return api_error(response.status_code)
        return response


class PermissionsPolicyMiddleware:
    """Sets Permissions-Policy from settings.PERMISSIONS_POLICY (feature -> allowed origins)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})"
            for feature, origins in getattr(settings, "PERMISSIONS_POLICY", {}).items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's policy from settings.CONTENT_SECURITY_POLICY, with the map's tile
    server (settings.MAP_TILES_URL) added to img-src when one is set, and only then."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        # Settings refused an unusable URL at start-up; here plain HTTP is a test's server.
        source = tile_source(getattr(settings, "MAP_TILES_URL", ""), allow_http=True)
        if source and not report_only:
            update = dict(parts.update or {})
            img_src = update.get("img-src") or []
            update["img-src"] = [*([img_src] if isinstance(img_src, str) else img_src), source]
            parts.update = update
        return parts


class PrimaryDatabaseMiddleware:
    """Sends every read of the admin and of non-read requests to the primary database.

    Only matters with a read replica (directory.routers): a curator must see
    what they just saved, and a form post must validate against current data.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/" + settings.ADMIN_PATH.lstrip("/")

    def __call__(self, request):
        if request.method not in SAFE_METHODS or request.path_info.startswith(self.admin_prefix):
            with use_primary():
                return self.get_response(request)
        return self.get_response(request)


class DatabaseBusyMiddleware:
    """A statement cancelled by a database time limit (settings.DB_STATEMENT_TIMEOUT,
    DB_LOCK_TIMEOUT) or a deadlock is a 503 that says "try again", not a 500.

    The request's transaction was rolled back, so nothing of it was written.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError) or database_busy(exception) is None:
            return None
        request_logger.warning(
            "Database busy (%s) on %s %s",
            database_busy(exception),
            request.method,
            request.path,
        )
        if is_api(request):
            response = api_error(503)
        else:
            # No request context: the page needs nothing from the database.
            response = HttpResponse(render_to_string("busy.html"), status=503)
        response["Retry-After"] = "5"
        return response
