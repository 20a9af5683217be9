"""Errors that fit the client: under /api/ every refusal is JSON in the API's error shape.

Django answers some requests before any view runs or after one fails: a missing CSRF
token (403), more params than DATA_UPLOAD_MAX_NUMBER_FIELDS (400), an unreadable
request (400), an unexpected exception (500). Its own pages for those are HTML. The
site's error views (directory.views) ask `api_error` for the JSON answer whenever the
path is the API's, and ApiErrorsMiddleware (directory.middleware) turns anything else
that would still leave as HTML into the same shape. A database that does not answer is
a 503, so a client knows to try again rather than report a fault.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError, OperationalError

from initiatives.api.errors import error_response

API_PREFIX = "/api/"

# What the API says for each refusal that no view worded itself. Nothing from the
# exception is echoed: its text may hold a query, a host name or a server's address.
MESSAGES = {
    400: "The request could not be read: check its params and headers.",
    403: "The request was refused.",
    404: "Nothing here. The endpoints are listed in /api/v1/openapi.json.",
    405: "This API is read-only: it takes GET, HEAD and OPTIONS.",
    413: "The request's body is too large: this API is read-only and needs no body.",
    429: "Too many requests: wait a little and try again.",
    500: "Something went wrong on our side; it has been logged. Try again later, and quote "
    "the X-Request-ID response header if you report it.",
    503: "The register's database is not answering. Try again in a minute.",
}
CSRF_MESSAGE = (
    "This API is read-only: it takes GET, HEAD and OPTIONS, and a request that writes is "
    "refused (this one carried no valid CSRF token)."
)
# The database does not answer, as opposed to a fault in a query.
OUTAGES = (OperationalError, InterfaceError)


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_error(status: int, exception: BaseException | None = None):
    """The JSON answer for an /api/ request that Django refused with `status`."""
    if isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return error_response(400, f"Too many params: the API takes at most {limit:,}.")
    if isinstance(exception, RequestDataTooBig):
        status = 413
    if status == 500 and isinstance(exception, OUTAGES):
        status = 503
    return error_response(status, MESSAGES.get(status, f"The request was refused ({status})."))


def body_too_large(request) -> bool:
    """Whether the request says its body is over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return limit is not None and length > limit
