"""Structured logs and error reporting.

Every log line is one JSON object on stdout, so a log collector can index it
without parsing. Lines written while a request is being served carry its
request id, which is also returned to the client in the X-Request-ID header.
"""

import json
import logging
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime

# The id of the request being served in this thread or task ("-" outside one).
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# Extra attributes a record may carry (logger.info(..., extra={...})) that go into the line.
EXTRA_FIELDS = (
    "method",
    "path",
    "status",
    "duration_ms",
    "query_count",
    "page_cache",
    "incomplete",
)


class JSONFormatter(logging.Formatter):
    """Formats a record as one line of JSON: timestamp, level, logger, message, request_id ..."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "timestamp": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for field in EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        # django.request names the status "status_code".
        status_code = getattr(record, "status_code", None)
        if "status" not in line and isinstance(status_code, int):
            line["status"] = status_code
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_sentry(dsn: str, *, environment: str = "", traces_sample_rate: float = 0.0) -> bool:
    """Turn on Sentry error reporting when a DSN is given; return whether it was turned on."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        environment=environment or None,
        traces_sample_rate=traces_sample_rate,
        # The register holds no visitor accounts; keep IPs, cookies and bodies out of reports.
        send_default_pii=False,
    )
    return True
