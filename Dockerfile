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
COPY manage.py gunicorn.conf.py ./
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

# gunicorn.conf.py: PORT, WEB_CONCURRENCY workers (default 2 x cores + 1), GUNICORN_TIMEOUT
# (30 s) and no access log (the site writes one JSON line per request itself).
CMD ["gunicorn", "directory.wsgi", "--config", "gunicorn.conf.py"]

# Jobs (big CSV imports, bulk actions over a whole filter) are run by workers: run the
# same image, as many containers as you like, with the command
#   python manage.py db_worker
# Each takes one job at a time from the database's queue; any number can run at once.
# Each, as it starts, first queues again the jobs whose worker died (recover_jobs).
