# The register's production image: configured only by environment variables
# (see README.md, "Settings"). Serves directory.wsgi with gunicorn.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app
COPY pyproject.toml README.md ./
COPY directory ./directory
COPY initiatives ./initiatives
COPY places ./places
RUN pip install .
COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY seeds ./seeds

# collectstatic needs settings to load; the key here is a build-time placeholder only.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home /app directory \
    && chown -R directory /app
USER directory

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), headers={'X-Forwarded-Proto': 'https'}), timeout=4)"

# WEB_CONCURRENCY sets the worker count (default 2 x cores + 1). No gunicorn access log:
# the site writes one JSON line per request itself, with its request id.
CMD ["sh", "-c", "exec gunicorn directory.wsgi --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-$(( $(nproc) * 2 + 1 ))} --forwarded-allow-ips='*'"]
