"""How the API answers: read-only (GET, HEAD, OPTIONS), open to every origin, errors as JSON.

An ApiError raised anywhere below a view becomes a JSON body with `status`, `error`,
`message` and, per parameter, `errors`; the api_view decorator does the rest.
"""

from functools import wraps
from http import HTTPStatus

from django.http import HttpResponse, JsonResponse


class ApiError(Exception):
    """A client error, answered as JSON: what was wrong and, per parameter, why."""

    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}


ERROR_TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Content too large",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}


def error_title(status: int) -> str:
    """The `error` of the shape: the status in words, in sentence case."""
    if status in ERROR_TITLES:
        return ERROR_TITLES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "Error"
    return phrase[:1] + phrase[1:].lower()


def error_response(status: int, message: str, errors: dict | None = None) -> JsonResponse:
    """An error in the API's one shape: `status`, `error`, `message` and maybe `errors`.

    Also what the site answers for /api/ paths when Django itself refuses a request
    (directory.views and directory.middleware.ApiErrorsMiddleware), so every answer
    under /api/ is JSON, open to every origin."""
    body = {"status": status, "error": error_title(status), "message": message}
    if errors:
        body["errors"] = errors
    response = JsonResponse(body, status=status)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def api_view(view):
    """GET (and HEAD) only, ApiError as a JSON answer, and open to every origin (CORS)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Max-Age"] = "86400"
        elif request.method not in ("GET", "HEAD"):
            response = error_response(
                405, f"{request.method} is not allowed: this API is read-only."
            )
        else:
            try:
                response = view(request, *args, **kwargs)
            except ApiError as exc:
                response = error_response(exc.status, exc.message, exc.errors)
        if response.status_code in (204, 405):
            response["Allow"] = "GET, HEAD, OPTIONS"
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapper
