"""Short-lived caches for figures that are costly to count and change rarely.

Facet counts, the home page's headline figures, area page counts and the insights
page count over the whole register: at 100,000 initiatives each takes from tens of
milliseconds to seconds, and every visitor would recount the same numbers. They are
kept in Django's cache under a key made of the register's version and the request's
params, for at most ``settings.FIGURES_CACHE_SECONDS``.

The version changes whenever a record that the figures count changes: on every save
and delete of the register's models and every change to their many-to-many links
(signals, in this process and again when the transaction commits), and from the
commands that write in bulk (`bump_version`). With the local-memory cache (the
default) a change is seen at once by the worker that made it and by the others when
their entries expire; with a shared cache, Redis (``DJANGO_REDIS_URL``) or the
database (``DJANGO_FIGURES_CACHE=database``), every worker and server shares the
version and the figures, so a change is seen everywhere at once. A shared cache that
does not answer is a miss: the figures are counted afresh. After a change commits, the
figures most pages need are counted again in a background thread (`on_new_version`,
``DJANGO_FIGURES_WARM``), so the first visitor after a change finds them.

The same version makes the validators of the public pages (`revalidated`): a browser
or a CDN that sends back a page's ETag gets a 304 until the register changes. A page
that is the same for every visitor is also kept whole under that ETag (`kept_page`),
so the next visitor, on any worker sharing the cache, gets it without it being made
again: a kept page is current exactly when a 304 for it would be. Pages made for one
visitor (signed in, a shortlist, messages) are never kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import queue
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date

VERSION_KEY = "register-version"
logger = logging.getLogger(__name__)
T = TypeVar("T")


def version() -> str:
    """The register's current version in this cache.

    It starts from the clock, not from 1: should the cache ever drop the version
    (a full cache culls entries), figures kept under an earlier version can never be
    mistaken for current ones.
    """
    try:
        current = cache.get(VERSION_KEY)
        if current is None:
            cache.add(VERSION_KEY, _new_version(), timeout=None)
            current = cache.get(VERSION_KEY)
    except Exception:  # a shared cache that does not answer: nothing cached is trusted
        logger.warning("The figures cache does not answer; counting afresh", exc_info=True)
        current = None
    return current if current is not None else _new_version()


def bump_version(**_ignored) -> None:
    """Mark every cached figure out of date (now, and again once the transaction commits,
    so a figure counted meanwhile from the old rows is not kept), then have the figures
    most pages need counted again in the background (`on_new_version`)."""
    _bump()
    transaction.on_commit(_bump_committed)


def _bump_committed() -> None:
    _bump()
    if settings.FIGURES_WARM and _warmers:
        _warmer.poke()


# Counting before anyone asks -------------------------------------------------------

# Callables that count figures into the cache under the current version.
_warmers: list[Callable[[], object]] = []
# Changes that come together (an import commits many) are counted for once, this long
# after the last of them.
WARM_DELAY_SECONDS = 0.2


def on_new_version(warm: Callable[[], object]) -> None:
    """Call `warm()` in a background thread of this process after a change commits, so
    the first visitor after a change finds the figures counted (with a shared cache,
    every worker and server does). The register's app registers the whole register's
    facet counts; this module needs to know nothing of them."""
    if warm not in _warmers:
        _warmers.append(warm)


class _Warmer:
    """One daemon thread a process, started on the first change, that waits for changes
    to stop for WARM_DELAY_SECONDS and then calls every registered warmer."""

    def __init__(self):
        self.changed = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def poke(self) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="figures-warmer", daemon=True)
                self.thread.start()
        self.changed.set()

    def _run(self) -> None:
        while True:
            self.changed.wait()
            while self.changed.is_set():
                self.changed.clear()
                time.sleep(WARM_DELAY_SECONDS)
            warm_now()


def warm_soon() -> None:
    """Count every registered figure in this process's background thread now, as after a
    change: for a server that has just started, whose shared cache may hold nothing
    under the register's version (emptied, or new). A figure already kept is read, not
    counted (each warmer goes through the cache, one worker counting at a time), so
    every worker of a server may ask. Not with each worker's own cache ("local"): every
    worker would count everything at once (at a million records, five workers' insights
    took the server's two cores for half a minute), and what one counted no other
    would find."""
    if settings.FIGURES_WARM and settings.FIGURES_CACHE != "local" and _warmers:
        _warmer.poke()


def warm_now() -> None:
    """Call every registered warmer now, in this thread; a failure is logged, not raised
    (the first visitor then counts, as without warming)."""
    from django.db import connections

    try:
        for warm in list(_warmers):
            try:
                warm()
            except Exception:
                logger.warning("Could not count the figures ahead", exc_info=True)
    finally:
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()  # this thread's own connections only


_warmer = _Warmer()


# Counting later --------------------------------------------------------------------

# At most this many jobs wait for (or run in) the background thread; past it a job is
# dropped (the next visitor to ask hands it in again). Under load the pages then go out
# without the figures that would have waited: the work is shed, not queued.
LATER_QUEUE = 4


class _Later:
    """One daemon thread a process that runs the jobs handed to it, one at a time: the
    figures a page went out without (`in_background`). A job already waiting under the
    same key is not queued twice. The thread starts only with settings.FIGURES_WARM
    (off in tests, which call `run_waiting` to run what is queued, in their thread)."""

    def __init__(self):
        self.jobs: queue.Queue = queue.Queue()
        self.waiting: set[str] = set()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def submit(self, key: str, job: Callable[[], object]) -> bool:
        with self.lock:
            if key in self.waiting or len(self.waiting) >= LATER_QUEUE:
                return False
            self.jobs.put_nowait((key, job))
            self.waiting.add(key)
            if settings.FIGURES_WARM and (self.thread is None or not self.thread.is_alive()):
                self.thread = threading.Thread(target=self._run, name="figures-later", daemon=True)
                self.thread.start()
        return True

    def _run(self) -> None:
        from django.db import connections

        while True:
            self.run_one(self.jobs.get())
            if self.jobs.empty():
                connections.close_all()  # this thread's own connections only

    def run_one(self, item) -> None:
        key, job = item
        try:
            job()
        except Exception:
            logger.warning("Could not count %s in the background", key, exc_info=True)
        finally:
            with self.lock:
                self.waiting.discard(key)

    def run_waiting(self) -> int:
        """Run every job waiting, in this thread; how many ran."""
        ran = 0
        while True:
            try:
                item = self.jobs.get_nowait()
            except queue.Empty:
                return ran
            self.run_one(item)
            ran += 1


_later = _Later()


# How long a figure handed to the background counts as on its way (`in_background`),
# at most: past it, should its worker have gone, a visitor hands it in again.
LATER_SECONDS = 60


def in_background(name: str, params, job: Callable[[], object]) -> bool:
    """Hand `job` (which keeps a figure in the cache) to this process's background
    thread, once per figure (`name`, `params`) and register version for every worker
    sharing the cache (`on_its_way` says so meanwhile); False when it is already on its
    way or too many jobs wait. For figures a page went out without, so that the next
    visitor finds them."""
    key = cache_key(name, params)
    marker = f"{key}:later"
    try:
        if not cache.add(marker, 1, timeout=LATER_SECONDS):
            return False
    except Exception:  # a shared cache that does not answer: this process alone knows
        marker = None

    def run() -> None:
        try:
            job()
        finally:
            if marker is not None:
                cache.delete(marker)

    if _later.submit(key, run):
        return True
    if marker is not None:
        cache.delete(marker)
    return False


def on_its_way(name: str, params) -> bool:
    """Whether a figure was handed to the background (`in_background`) and is not kept
    yet: a page need not spend its time starting to count it again."""
    try:
        return cache.get(f"{cache_key(name, params)}:later") is not None
    except Exception:
        return False


def run_waiting() -> int:
    """Run the background jobs waiting, in this thread (for tests and commands)."""
    return _later.run_waiting()


def _bump() -> None:
    try:
        cache.set(VERSION_KEY, _new_version(), timeout=None)
    except Exception:
        # Figures it still holds expire within FIGURES_CACHE_SECONDS.
        logger.error("Could not mark the figures cache out of date", exc_info=True)


def _new_version() -> str:
    """A version never used before: the clock and a random part, not an increment, so
    that two workers sharing a cache and bumping at once never land on the same one."""
    return f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"


def cache_key(name: str, params) -> str:
    """A key for one kind of figure and the params it was counted for."""
    text = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return f"figures:{name}:{version()}:{digest}"


def _kept_for(key: str) -> int:
    """Seconds to keep the figure under `key` (made by cache_key): FIGURES_CACHE_SECONDS,
    or, while a read replica may not have caught up with the version the key names
    (settled), only INCOMPLETE_PAGE_SECONDS, so that a figure counted from before a
    change is soon counted again."""
    current = key.rsplit(":", 2)[1]  # figures:<name>:<version>:<digest>
    return settings.FIGURES_CACHE_SECONDS if settled(current) else INCOMPLETE_PAGE_SECONDS


def cached(
    name: str, params, compute: Callable[[], T], *, keep: Callable[[T], bool] | None = None
) -> T:
    """`compute()`'s value for these params, from the cache when it holds one; a value
    for which `keep` says False (one counted only in part) is used but not kept."""
    timeout = settings.FIGURES_CACHE_SECONDS
    if timeout <= 0:
        return compute()
    key = cache_key(name, params)
    try:
        value = cache.get(key)
    except Exception:  # a shared cache that does not answer: count afresh
        logger.warning("The figures cache does not answer; counting afresh", exc_info=True)
        return compute()
    if value is None:
        value = compute()
        if keep is not None and not keep(value):
            return value
        try:
            cache.set(key, value, _kept_for(key))
        except Exception:
            logger.warning("Could not keep a figure in the cache", exc_info=True)
    return value


def peek(name: str, params):
    """The figure kept for these params under the current version, or None (never
    counts; a cache that does not answer holds nothing)."""
    if settings.FIGURES_CACHE_SECONDS <= 0:
        return None
    try:
        return cache.get(cache_key(name, params))
    except Exception:
        return None


def keeps_many_small() -> bool:
    """Whether the cache may keep many small entries, such as an export's rows one by
    one: in Redis only. Each worker's own memory keeps at most
    DJANGO_FIGURES_CACHE_ENTRIES entries, and the database cache writes a table row for
    each."""
    return settings.FIGURES_CACHE_SECONDS > 0 and isinstance(caches["default"], RedisCache)


def kept_many(prefix: str, ids: list) -> dict:
    """{id: value} of the entries kept under `prefix` for these ids (those not kept
    are left out; a cache that does not answer keeps none). The prefix names the
    register's version, read before the values were made (see keep_many)."""
    keys = {f"many:{prefix}:{pk}": pk for pk in ids}
    try:
        found = cache.get_many(list(keys))
    except Exception:
        logger.warning("The cache does not answer; making the rows afresh", exc_info=True)
        return {}
    return {keys[key]: value for key, value in found.items()}


def keep_many(prefix: str, values: dict) -> None:
    """Keep {id: value} under `prefix`, for kept_many. The prefix must name the version
    read before the values were read from the database, so that no value is ever kept
    under a version newer than the data it was made from."""
    try:
        cache.set_many(
            {f"many:{prefix}:{pk}": value for pk, value in values.items()},
            settings.FIGURES_CACHE_SECONDS,
        )
    except Exception:
        logger.warning("Could not keep rows in the cache", exc_info=True)


# How long a request waits for a figure that another worker (or the warmer) is
# counting, before counting it itself: at least this, and as long as such a count may
# run (settings.DB_FIGURES_STATEMENT_TIMEOUT).
COUNT_WAIT_SECONDS = 10.0


def _count_wait() -> float:
    return max(COUNT_WAIT_SECONDS, float(getattr(settings, "DB_FIGURES_STATEMENT_TIMEOUT", 0)))


def _wait_for(key: str, lock: str, seconds: float):
    """What another worker is counting or making under `key` while it holds `lock`, once
    kept; None when it gave up, kept nothing or took longer than `seconds` (then the
    waiter makes its own)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)
        value = cache.get(key)
        if value is not None:
            return value
        if cache.get(lock) is None:  # it gave up, or kept nothing: one last look
            return cache.get(key)
    return None


def cached_once(name: str, params, compute: Callable[[], T]) -> T:
    """As `cached`, but counted by one worker at a time: while one counts (a lock in
    the cache, so every worker sharing it sees it), the others wait for its answer
    rather than all counting the same figure at once after a change. A waiter whose
    counter does not answer within COUNT_WAIT_SECONDS counts it itself."""
    timeout = settings.FIGURES_CACHE_SECONDS
    if timeout <= 0:
        return compute()
    key = cache_key(name, params)
    lock = f"{key}:counting"
    try:
        value = cache.get(key)
        if value is not None:
            return value
        counting = cache.add(lock, 1, timeout=int(_count_wait()) + 1)
    except Exception:
        logger.warning("The figures cache does not answer; counting afresh", exc_info=True)
        return compute()
    if not counting:
        value = _wait_for(key, lock, _count_wait())
        if value is not None:
            return value
    try:
        value = compute()
        cache.set(key, value, _kept_for(key))
    finally:
        if counting:
            cache.delete(lock)
    return value


def query_params(querydict, names=None) -> dict[str, list[str]]:
    """The request's params as a plain, ordered dict, for a cache key."""
    return {
        key: sorted(querydict.getlist(key))
        for key in sorted(querydict.keys())
        if names is None or key in names
    }


def create_cache_table(sender=None, using: str = "default", **kwargs) -> None:
    """After `migrate`: the database cache's table, when that cache is configured
    (`createcachetable` does nothing for other caches, or when the table is there)."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


def connect_signals(*, models, links) -> None:
    """Bump the version whenever one of the counted records (`models`) or their
    many-to-many links (`links`: through models) change. The register's app calls
    this once it is ready, so this module needs to know nothing of its models."""
    for model in models:
        uid = f"figures-{model._meta.label_lower}"
        post_save.connect(bump_version, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(bump_version, sender=model, dispatch_uid=uid + "-delete")
    for through in links:
        m2m_changed.connect(
            bump_version, sender=through, dispatch_uid=f"figures-{through._meta.label_lower}"
        )


# Conditional GETs ---------------------------------------------------------------

# With the local-memory cache each worker has its own version, which another worker's
# change does not bump: there, validators also change every REVALIDATE_SECONDS, so a
# change shows everywhere within that time.
REVALIDATE_SECONDS = 5


def _release() -> str:
    """What identifies the code being served: DJANGO_RELEASE when set, else the sizes and
    times of the project's templates and modules, so a deploy changes every ETag."""
    release = os.environ.get("DJANGO_RELEASE", "")
    if release:
        return release
    base = Path(settings.BASE_DIR)
    digest = hashlib.blake2b(digest_size=8)
    for folder in ("templates", "directory", "initiatives", "places"):
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in (".py", ".html", ".txt", ".svg", ".json"):
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


@functools.cache
def release() -> str:
    return _release()


# Settings no page shows, or that must never go into a key (secrets, addresses).
_UNSHOWN_SETTINGS = ("SECRET", "PASSWORD", "KEY", "TOKEN", "DSN", "DATABASE", "CACHES", "LOG")


def _plain(value):
    """A setting as plain data that reads the same in every process (no object
    addresses, no set order), or None for anything else."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(str(_plain(item)) for item in value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, Path):
        return str(value)
    return None


@functools.cache
def settings_digest() -> str:
    """What identifies the settings pages are made with (the map's tile server, say), so
    that a change of configuration changes every ETag and every kept page, as a deploy
    of new code does. The same in every worker and server with the same settings;
    counted once per process, and again when a setting changes."""
    shown = {
        name: _plain(getattr(settings, name))
        for name in dir(settings)
        if name.isupper() and not any(part in name for part in _UNSHOWN_SETTINGS)
    }
    text = json.dumps(shown, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _settings_changed(**_ignored) -> None:
    settings_digest.cache_clear()


setting_changed.connect(_settings_changed, dispatch_uid="caching-settings-digest")


def _shared() -> bool:
    """Whether every worker reads one version (a cache all of them share)."""
    return not isinstance(caches["default"], LocMemCache)


def _cacheable(request) -> bool:
    """A GET or HEAD from someone signed out, with nothing in a session and no messages
    waiting: the same for all."""
    if request.method not in ("GET", "HEAD"):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    if _holds_session_data(request):
        return False
    return not len(get_messages(request))


def _holds_session_data(request) -> bool:
    """Whether the visitor's session holds anything (a shortlist): pages show it (the
    header's count, "Remove from shortlist"), so they are theirs alone. Without a
    session cookie this reads nothing."""
    session = getattr(request, "session", None)
    if session is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    return bool(list(session.keys()))


def page_validators(
    request, *, clock: Callable[[datetime], str] | None = None, now: datetime | None = None
) -> tuple[str, datetime, str]:
    """The ETag and Last-Modified of a public page, and the register's version they name:
    the version and the full URL (host and params), the day (pages say what is due for
    review) and the code. With `clock`, also the words the page says that change with
    the time of day ("Open now until 16:00"), `clock(now)`, read after the version (so
    never from data older than it) and at the same `now` as the day: the page is current
    while they stay the same. Its Last-Modified is then the minute, so a client
    revalidating by date alone is never told a page whose words have changed is current."""
    current = version()
    now = now or timezone.now()
    changed = _made_at(current) or time.time()
    parts = [
        current,
        request.build_absolute_uri(),
        timezone.localdate(now).isoformat(),
        release(),
        settings_digest(),
    ]
    if not _shared():
        window = int(time.time() // REVALIDATE_SECONDS)
        parts.append(str(window))
        changed = max(changed, window * REVALIDATE_SECONDS)
    if clock is not None:
        parts.append(f"clock {clock(now)}")
        minute = int(now.timestamp() // 60)
        changed = max(changed, minute * 60)
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()
    return f'W/"{digest}"', datetime.fromtimestamp(int(changed), tz=UTC), current


def settled(current: str) -> bool:
    """Whether what the database gives is surely as new as the version `current`: always
    with one database; with a read replica (DATABASE_REPLICA_URL), which lags behind the
    primary, once the version is settings.REPLICA_LAG_SECONDS old. A page or an export's
    row made before then may hold data from before the change, so it is not kept for
    others under that version (a page is kept only as long as an incomplete one)."""
    if REPLICA_ALIAS not in settings.DATABASES:
        return True
    made = _made_at(current)
    return made is not None and time.time() - made >= settings.REPLICA_LAG_SECONDS


def _made_at(current: str) -> float | None:
    """When the version `current` was made, in seconds since the epoch (see
    _new_version), or None for a version not made that way."""
    try:
        return int(current.split("-", 1)[0]) / 1e9
    except ValueError:
        return None


# The read replica's alias (directory.routers.REPLICA_DB_ALIAS).
REPLICA_ALIAS = "replica"


def page_now(request) -> datetime:
    """The moment a page says "now" of ("Open now"): the one its validators were made
    at (`revalidated(clock=...)`), so that the page and its ETag agree."""
    return getattr(request, "page_now", None) or timezone.now()


def revalidated(view=None, *, clock: Callable[..., str] | None = None):
    """For a public page: anonymous GETs carry ETag and Last-Modified (page_validators)
    and `Cache-Control: public, no-cache` (browsers and a CDN may keep it, and ask each
    time whether it is still current); a request whose If-None-Match (or, without one,
    If-Modified-Since) is current gets a 304 without the page being built. Signed-in
    curators, visitors whose session holds something (a shortlist), pages with messages,
    and responses that set a cookie are private.
    `@revalidated(clock=words)` is for a page whose words change with the time of day
    ("Open now until 16:00", "Opens tomorrow 10:00"): `words(request, *args, now=now,
    **kwargs)` says them, cheaply, and the page is kept and revalidated while they stay
    the same; the view reads that `now` with page_now(request)."""
    if view is None:
        return functools.partial(revalidated, clock=clock)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            return response
        now = timezone.now()
        words = None
        if clock is not None:
            request.page_now = now

            def words(at):
                return clock(request, *args, now=at, **kwargs)

        etag, last_modified, current = page_validators(request, clock=words, now=now)
        response = get_conditional_response(
            request, etag=etag, last_modified=int(last_modified.timestamp())
        )
        if response is None:

            def make():
                made = view(request, *args, **kwargs)
                return made if settled(current) else incomplete(made)

            response = kept_page(etag, make)
            if response.status_code != 200 or response.cookies:
                patch_cache_control(response, private=True, no_cache=True)
                return response
            if getattr(response, "incomplete", False):
                # Without validators: nobody revalidates it, the next request gets it anew.
                patch_cache_control(response, no_cache=True)
                return response
        response.headers.setdefault("ETag", etag)
        response.headers.setdefault("Last-Modified", http_date(last_modified.timestamp()))
        patch_cache_control(response, public=True, no_cache=True)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper


# Pages kept whole --------------------------------------------------------------------

# A page the same for all (`_cacheable`) is kept, compressed, under its ETag: the ETag
# already names everything the page is made from (the register's version, the full URL,
# the day, the code, and for some pages the minute), so a kept page is current exactly
# when a 304 for it would be. Larger pages are made afresh each time.
PAGE_MAX_BYTES = 2 * 1024 * 1024
# How long a request waits for the same page that another worker is making.
PAGE_WAIT_SECONDS = 5.0


def kept_page(etag: str, make: Callable[[], HttpResponse]) -> HttpResponse:
    """The page under `etag` from the cache, else `make()`'s, kept for the next visitor
    when it is a whole 200 that sets no cookie. While one worker makes a page, the
    others asking for it wait for it (at most PAGE_WAIT_SECONDS) rather than all making
    it at once. A cache that does not answer keeps nothing: the page is made afresh."""
    if not settings.PAGE_CACHE or settings.FIGURES_CACHE_SECONDS <= 0:
        return make()
    key = f"page:{etag}"
    lock = f"{key}:making"
    making = False
    try:
        kept = cache.get(key)
        if kept is None:
            making = cache.add(lock, 1, timeout=int(PAGE_WAIT_SECONDS) + 1)
            if not making:
                kept = _wait_for(key, lock, PAGE_WAIT_SECONDS)
    except Exception:
        logger.warning("The page cache does not answer; making the page", exc_info=True)
        return make()
    if kept is not None:
        return _unpacked(kept)
    try:
        response = make()
        if response.streaming:
            # A file is kept once for all workers, never in each one's memory, and only
            # whole (an incomplete one is made again for the next commissioner).
            if _shared() and not getattr(response, "incomplete", False):
                response.streaming_content = _kept_when_sent(response, key, making and lock)
                making = False  # the file's stream lets the others know once it has gone
        else:
            packed = _packed(response)
            if packed is not None:
                partial = getattr(response, "incomplete", False)
                try:
                    cache.set(
                        key,
                        packed,
                        INCOMPLETE_PAGE_SECONDS if partial else settings.FIGURES_CACHE_SECONDS,
                    )
                except Exception:
                    logger.warning("Could not keep a page in the cache", exc_info=True)
    finally:
        if making:
            try:
                cache.delete(lock)
            except Exception:  # it expires within PAGE_WAIT_SECONDS
                logger.warning("Could not release a page being made", exc_info=True)
    response["X-Page-Cache"] = "miss"
    return response


# A streamed file (the CSV export) is kept, compressed, when it comes to no more than this.
FILE_MAX_BYTES = 64 * 1024 * 1024


def _kept_when_sent(response, key: str, lock):
    """The streamed file's pieces, sent as they come and compressed beside them; once the
    last has gone, the file is kept under `key` (as `_packed` keeps a page) and `lock`
    released. A file not sent to the end (the client left), not a plain 200, or larger
    than FILE_MAX_BYTES is not kept."""
    headers = list(response.items())
    content = response.streaming_content
    keep = _keepable(response)

    def pieces():
        compressor = zlib.compressobj(1) if keep else None
        parts: list[bytes] = []
        size = 0
        sent = False
        try:
            for piece in content:
                if compressor is not None:
                    size += len(piece)
                    if size > FILE_MAX_BYTES:
                        compressor, parts = None, []
                    else:
                        parts.append(compressor.compress(piece))
                yield piece
            sent = True
        finally:
            try:
                if sent and compressor is not None:
                    parts.append(compressor.flush())
                    cache.set(key, (headers, b"".join(parts)), settings.FIGURES_CACHE_SECONDS)
                if lock:
                    cache.delete(lock)
            except Exception:
                logger.warning("Could not keep a file in the cache", exc_info=True)

    return pieces()


# A page made without some of its figures is kept only this long: the visitors asking
# for it meanwhile get it at once, the first after it the page with its figures.
INCOMPLETE_PAGE_SECONDS = 5


def incomplete(response):
    """Mark a page made without some of its figures (counted later for the next
    visitor): it is kept only INCOMPLETE_PAGE_SECONDS, and carries no ETag to
    revalidate it by, so no browser or CDN keeps it."""
    response.incomplete = True
    return response


def _keepable(response) -> bool:
    """Whether a response may be kept for others: a plain 200 that sets no cookie and
    is not private."""
    return (
        response.status_code == 200
        and not response.cookies
        and "private" not in response.get("Cache-Control", "")
    )


def _packed(response: HttpResponse):
    """What is kept of a response: its headers and compressed content, or None for one
    that must be made for each request (not keepable, streamed, or too large)."""
    if response.streaming or not _keepable(response):
        return None
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    if len(response.content) > PAGE_MAX_BYTES:
        return None
    packed = (list(response.items()), zlib.compress(response.content, 1))
    return (*packed, True) if getattr(response, "incomplete", False) else packed


# A kept response larger than this, compressed, is sent a piece at a time as it is
# uncompressed (a big CSV), never whole in memory.
STREAM_KEPT_OVER_BYTES = 1024 * 1024


def _uncompressed(content: bytes, piece: int = 256 * 1024):
    uncompress = zlib.decompressobj()
    for start in range(0, len(content), piece):
        yield uncompress.decompress(content[start : start + piece])
    yield uncompress.flush()


def _unpacked(kept) -> HttpResponse | StreamingHttpResponse:
    headers, content, *flags = kept  # (headers, content[, True for an incomplete page])
    if len(content) > STREAM_KEPT_OVER_BYTES:
        response = StreamingHttpResponse(_uncompressed(content))
    else:
        response = HttpResponse(zlib.decompress(content))
    for name, value in headers:
        response[name] = value
    response["X-Page-Cache"] = "hit"
    if flags and flags[0]:
        incomplete(response)
    return response
