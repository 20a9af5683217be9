"""How the API answers: read-only (GET, HEAD, OPTIONS), open to every origin, errors as JSON.

An ApiError raised anywhere below a view becomes a JSON body with `status`, `error`,
`message` and, per parameter, `errors`; the api_view decorator does the rest.
"""

from functools import wraps

from django.http import HttpResponse, JsonResponse


class ApiError(Exception):
    """A client error, answered as JSON: what was wrong and, per parameter, why."""

    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}


ERROR_TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}


def error_response(status: int, message: str, errors: dict | None = None) -> JsonResponse:
    body = {"status": status, "error": ERROR_TITLES.get(status, "Error"), "message": message}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


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
