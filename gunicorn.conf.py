"""gunicorn's settings, used by the container (Dockerfile) and `make loadtest`.

Every value can be set from the environment; see README.md, "Running in production".
"""

import multiprocessing
import os


def _seconds(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# WEB_CONCURRENCY workers, by default 2 x cores + 1.
workers = _seconds("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
# GUNICORN_THREADS threads in each worker (gunicorn's gthread worker when more than 1):
# a page kept in the cache is then served beside a slow one in the same worker instead
# of queueing behind it. 1 (the default) is the plain sync worker.
threads = _seconds("GUNICORN_THREADS", 1)
# A request still running after GUNICORN_TIMEOUT seconds has its worker killed and
# restarted (the client gets a 502 from the load balancer). Each database statement is
# cut off much sooner (DJANGO_DB_STATEMENT_TIMEOUT, 5 s), so a page waiting on the
# database is answered with "try again" long before this.
timeout = _seconds("GUNICORN_TIMEOUT", 30)
# On a restart or a deploy, requests in flight get this long to finish.
graceful_timeout = _seconds("GUNICORN_GRACEFUL_TIMEOUT", 30)
# The load balancer reuses connections; keep them open a little longer than its own
# idle time is short.
keepalive = _seconds("GUNICORN_KEEPALIVE", 5)
# The load balancer sets X-Forwarded-Proto; only it can reach the containers.
forwarded_allow_ips = "*"
# No access log: the site writes one JSON line per request itself, with its request id.
accesslog = None


def post_worker_init(worker):
    """Count the figures most pages need (the register's facet counts, its insights, the
    home page's) in the worker's background thread, as after a change: a server just
    started, its cache emptied or new, would otherwise count them for its first
    visitors, each of whom waits (at a million records, 5 s for the insights). With a
    shared cache only: each worker asks, one counts, the others find them kept
    (initiatives.caching.warm_soon)."""
    from initiatives.caching import warm_soon

    warm_soon()
