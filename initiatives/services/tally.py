"""The facet tally: how many published, current initiatives carry each pair of facet
values (`FacetPairCount`), kept in step with every write, in its transaction.

Each counted initiative carries keys: "*" (every one does), "role:<value>",
"vanguard:<id>", "funding_dependency:<value>", "legal_form:<value>" (its
organisation's), "topic:<id>", "population:<id>", "condition:<id>" and "area:<id>"
for every area it is "here" for (its rows in the area closure). The tally holds
every pair of an initiative's keys (`a <= b`, a key with itself included), so:

- the whole register's counts are the pairs of "*" (`counts_given(None)`);
- a listing filtered by one value has every facet's counts, and its total, in the
  pairs of that value's key (`counts_given("role:campaigning")`),

one indexed read at any size of register, where counting them takes seconds at a
million records.

`InitiativeFacetKeys` holds each initiative's keys as last counted, so that a sync
takes away exactly what the initiative had added and adds what it carries now:
`tally_sync(initiative_ids=...)` compares the two and writes only the difference
(nothing at all when a save changed no key). The marker row ("#", "#") says the
tally is built; until it is (a database migrated from before the tally, until
`manage.py sync_tallies` runs), syncs do nothing and the listing counts as before.

The writes that can change an initiative's keys, and who syncs them:

- an initiative saved with another status, lifecycle, role, vanguard site,
  funding band or organisation, or created, or deleted (`on_initiative_saved`,
  `on_initiative_deleted`);
- its topics, population groups or conditions (`on_links_changed`, either side);
- its areas, its located district or the area tree: `closure.closure_sync`, which
  every such write already calls, syncs the initiatives whose closure it synced;
- an organisation's legal form (`on_organisation_saved`) or its funding band
  (`models.funding_recomputed`, sent after a funding line changes);
- a topic, population group, condition or vanguard site deleted (its links or
  references go unsignalled: `on_value_pre_delete` remembers whom it carried);
- the bulk writers (the CSV import, `load_seeds`, `generate_initiatives`) hold the
  syncs back with `tally_deferred()` and sync once at the end.

`tests/initiatives/test_tally.py` checks the table against a fresh count after every
kind of write.
"""

# ruff: noqa: S608 - SQL is assembled from the models' table names only; keys are params.

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from itertools import combinations_with_replacement

from django.db import connections, router, transaction
from django.db.models import Max, Min, Q

from ..models import (
    FacetPairCount,
    Initiative,
    InitiativeAreaClosure,
    InitiativeFacetKeys,
    VanguardSite,
)

EVERY = "*"
BUILT = "#"
# Ids per statement when a sync is scoped to some initiatives.
CHUNK = 1000
# Pairs per INSERT.
ROWS_PER_STATEMENT = 300
# Past this many initiatives held back by `tally_deferred`, one sync of the whole
# register at the end (it reads them by ranges of ids, not in lists).
DEFERRED_IDS_LIMIT = 20000
# The link tables counted, by facet name (Initiative's many-to-many fields).
LINKS = {"topic": "topics", "population": "population_groups", "condition": "conditions"}
# An initiative's own fields a key is made of, remembered when it is loaded.
WATCHED = ("status", "lifecycle", "role", "vanguard_id", "funding_dependency", "organisation_id")

_deferred = threading.local()
_UNKNOWN = object()


def key(facet: str, value) -> str:
    """The tally's key for one facet value ("role:campaigning", "topic:12")."""
    return f"{facet}:{value}"


def _database() -> str:
    return router.db_for_write(FacetPairCount)


def is_built(using: str | None = None) -> bool:
    return FacetPairCount.objects.using(using or _database()).filter(a=BUILT, b=BUILT).exists()


# Reading -----------------------------------------------------------------------------


def counts_given(given: str | None, *, using: str | None = None) -> tuple[dict, int] | None:
    """({facet: {value as text: n}}, total) over the counted initiatives carrying the
    key `given` (None: all of them), or None while the tally is not built."""
    given = given or EVERY
    table = FacetPairCount._meta.db_table
    connection = connections[using or _database()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a, b, n FROM {table} WHERE a = %s OR b = %s OR (a = %s AND b = %s)",
            [given, given, BUILT, BUILT],
        )
        rows = cursor.fetchall()
    built = False
    total = 0
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for a, b, n in rows:
        if a == BUILT:
            built = True
            continue
        other = b if a == given else a
        if other in (given, EVERY):
            total = n
            continue
        facet, _, value = other.partition(":")
        if n:
            counts[facet][value] = n
    if not built:
        return None
    return dict(counts), total


def pairs_where(condition: Q, *, using: str | None = None) -> list[tuple[str, str, int]] | None:
    """The pairs (a, b, n) that meet `condition` (on a and b) and count someone (n > 0),
    read in one statement with the marker row; None while the tally is not built. For
    the figures that read pairs of two facets at once (an ICB and a condition, a role
    and a vanguard site), where `counts_given` reads one key's pairs."""
    rows = (
        FacetPairCount.objects.using(using or _database())
        .filter((condition & Q(n__gt=0)) | Q(a=BUILT, b=BUILT))
        .values_list("a", "b", "n")
    )
    found, built = [], False
    for a, b, n in rows:
        if a == BUILT:
            built = True
        else:
            found.append((a, b, n))
    return found if built else None


def value_of(key: str) -> str:
    """The value part of a key ("topic:12" -> "12"; see `key`)."""
    return key.partition(":")[2]


# Keys --------------------------------------------------------------------------------


def _scoped(queryset, column: str, scope):
    """The queryset narrowed to a list of ids, or to an inclusive range (low, high)."""
    if isinstance(scope, tuple):
        return queryset.filter(**{f"{column}__gte": scope[0], f"{column}__lte": scope[1]})
    return queryset.filter(**{f"{column}__in": scope})


def is_counted(status: str, lifecycle: str) -> bool:
    """Whether an initiative with this status and lifecycle is counted (published and
    current, as `Initiative.objects.published().current()` has it)."""
    return status == Initiative.Status.PUBLISHED and lifecycle != Initiative.Lifecycle.ENDED


def own_keys(*, role, vanguard, funding, legal_form, links=None, areas=()) -> set[str]:
    """A counted initiative's keys from its own fields, its organisation's legal form,
    `links` ({facet: ids} for LINKS' facets) and the areas of its closure rows."""
    found = {EVERY}
    for facet, value in (
        ("role", role),
        ("vanguard", vanguard),
        ("funding_dependency", funding),
        ("legal_form", legal_form),
    ):
        if value is not None:
            found.add(key(facet, value))
    for facet, ids in (links or {}).items():
        found.update(key(facet, pk) for pk in ids)
    found.update(key("area", pk) for pk in areas)
    return found


def add_counts(delta: Counter, using: str | None = None) -> None:
    """Add counts for initiatives written in bulk that were never counted (new ids),
    whose keys the writer kept itself (`generate_initiatives`, which knows each record's
    keys as it writes it, so that nothing is read back). Within the writes' transaction."""
    _apply(delta, using or _database())


def current_keys(scope, using: str) -> dict[int, set[str]]:
    """The keys of each published, current initiative in `scope` (a list of ids or a
    range of them); the others carry none and are left out."""
    counted = Initiative.objects.using(using).published().current()
    rows = _scoped(counted, "pk", scope).values_list(
        "pk", "role", "vanguard_id", "funding_dependency", "organisation__legal_form"
    )
    keys = {
        pk: own_keys(role=role, vanguard=vanguard, funding=funding, legal_form=legal_form)
        for pk, role, vanguard, funding, legal_form in rows
    }
    if not keys:
        return keys
    for facet, name in LINKS.items():
        field = Initiative._meta.get_field(name)
        through = field.remote_field.through
        source, target = field.m2m_field_name() + "_id", field.m2m_reverse_field_name() + "_id"
        links = _scoped(through.objects.using(using), source, scope).values_list(source, target)
        for pk, value in links:
            if pk in keys:
                keys[pk].add(key(facet, value))
    closure = _scoped(InitiativeAreaClosure.objects.using(using), "initiative_id", scope)
    for pk, area in closure.values_list("initiative_id", "area_id"):
        if pk in keys:
            keys[pk].add(key("area", area))
    return keys


def pairs(keys: Iterable[str]) -> Iterable[tuple[str, str]]:
    """Every pair of the keys, `a <= b`, each key with itself included."""
    return combinations_with_replacement(sorted(keys), 2)


# Writing -----------------------------------------------------------------------------


def _apply(delta: Counter, using: str) -> None:
    """Add the delta to the counts: one upsert per ROWS_PER_STATEMENT pairs, in the
    pairs' order, so that two writers lock the rows they share in the same order."""
    rows = sorted((pair, n) for pair, n in delta.items() if n)
    if not rows:
        return
    table = FacetPairCount._meta.db_table
    connection = connections[using]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            params = [value for (a, b), n in chunk for value in (a, b, n)]
            cursor.execute(
                f"INSERT INTO {table} (a, b, n) VALUES {values}"
                f" ON CONFLICT (a, b) DO UPDATE SET n = {table}.n + excluded.n",
                params,
            )


def _lock(scope, using: str) -> None:
    """On PostgreSQL, lock the scope's initiatives and their kept keys (primary-key
    order, as every bulk write locks them), so that two transactions syncing the same
    initiative do not both take away what it had added."""
    connection = connections[using]
    if connection.vendor != "postgresql" or isinstance(scope, tuple):
        return
    with connection.cursor() as cursor:
        for model, column in ((Initiative, "id"), (InitiativeFacetKeys, "initiative_id")):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT 1 FROM {table} WHERE {column} = ANY(%s) ORDER BY {column} FOR UPDATE",
                [list(scope)],
            )


def _sync_scope(scope, using: str, delta: Counter) -> int:
    """Compare the scope's kept keys with its current ones; add the difference to
    `delta` and keep the new keys. How many initiatives changed."""
    _lock(scope, using)
    kept_rows = _scoped(InitiativeFacetKeys.objects.using(using), "initiative_id", scope)
    kept = {pk: set(text.split(" ")) for pk, text in kept_rows.values_list("initiative_id", "keys")}
    now = current_keys(scope, using)
    changed = [pk for pk in kept.keys() | now.keys() if kept.get(pk) != now.get(pk)]
    if not changed:
        return 0
    for pk in changed:
        delta.update(pairs(now.get(pk, ())))
        delta.subtract(pairs(kept.get(pk, ())))
    store = InitiativeFacetKeys.objects.using(using)
    gone = [pk for pk in changed if pk in kept]
    for start in range(0, len(gone), CHUNK):
        store.filter(initiative_id__in=gone[start : start + CHUNK]).delete()
    store.bulk_create(
        [
            InitiativeFacetKeys(initiative_id=pk, keys=" ".join(sorted(now[pk])))
            for pk in changed
            if pk in now
        ],
        batch_size=CHUNK,
    )
    return len(changed)


def tally_sync(*, initiative_ids: Iterable[int] | None = None, using: str | None = None) -> int:
    """Bring the tally in line with some initiatives (`initiative_ids`), or with every
    one (None: also builds the tally where it is not built yet). How many initiatives'
    keys changed. Nothing while the tally is not built, unless syncing every one."""
    using = using or _database()
    if _is_deferred():
        _defer(initiative_ids)
        return 0
    if initiative_ids is not None:
        ids = sorted({int(pk) for pk in initiative_ids})
        if not ids or not is_built(using):
            return 0
        delta: Counter = Counter()
        changed = 0
        with transaction.atomic(using=using):
            for start in range(0, len(ids), CHUNK):
                changed += _sync_scope(ids[start : start + CHUNK], using, delta)
            _apply(delta, using)
        return changed
    return _sync_all(using)


def _sync_all(using: str, step: int = 5000) -> int:
    """Every initiative, by ranges of ids (those deleted since they were counted too);
    the counts are written once at the end. Builds the tally if it was not built."""
    changed = 0
    delta: Counter = Counter()
    with transaction.atomic(using=using):
        if connections[using].vendor == "postgresql":
            # No other sync meanwhile: theirs would be counted twice or lost.
            with connections[using].cursor() as cursor:
                cursor.execute(f"LOCK TABLE {FacetPairCount._meta.db_table} IN EXCLUSIVE MODE")
        for scope in _ranges(using, step):
            changed += _sync_scope(scope, using, delta)
        if not is_built(using):
            delta[(BUILT, BUILT)] += 1
        _apply(delta, using)
    return changed


def _ranges(using: str, step: int = 5000) -> Iterable[tuple[int, int]]:
    """Ranges of ids (inclusive) covering every initiative and every one counted."""
    bounds = [
        Initiative.objects.using(using).aggregate(low=Min("pk"), high=Max("pk")),
        InitiativeFacetKeys.objects.using(using).aggregate(
            low=Min("initiative_id"), high=Max("initiative_id")
        ),
    ]
    lows = [b["low"] for b in bounds if b["low"] is not None]
    highs = [b["high"] for b in bounds if b["high"] is not None]
    if lows:
        for first in range(min(lows), max(highs) + 1, step):
            yield first, first + step - 1


def tally_check(using: str | None = None) -> list[str]:
    """How the stored tally differs from one counted afresh from the initiatives (an
    empty list: it agrees). Reads the whole register: for tests and `sync_tallies
    --check`, not for pages."""
    using = using or _database()
    expected: Counter = Counter()
    for scope in _ranges(using):
        for keys in current_keys(scope, using).values():
            expected.update(pairs(keys))
    stored = Counter(
        {
            (a, b): n
            for a, b, n in FacetPairCount.objects.using(using).values_list("a", "b", "n")
            if a != BUILT and n
        }
    )
    problems = []
    for pair in sorted(expected.keys() | stored.keys()):
        if expected[pair] != stored[pair]:
            a, b = pair
            problems.append(f"{a} & {b}: {stored[pair]} stored, {expected[pair]} counted")
    return problems


# Holding syncs back during bulk writes ---------------------------------------------


def _is_deferred() -> bool:
    return getattr(_deferred, "depth", 0) > 0


def _defer(initiative_ids) -> None:
    if initiative_ids is None or _deferred.everything:
        _deferred.everything = True
        _deferred.ids = set()
        return
    _deferred.ids.update(int(pk) for pk in initiative_ids)
    if len(_deferred.ids) > DEFERRED_IDS_LIMIT:
        _deferred.everything = True
        _deferred.ids = set()


@contextmanager
def tally_deferred():
    """Hold back the syncs asked for inside, and sync the initiatives they named once at
    the end (every initiative, past DEFERRED_IDS_LIMIT of them): for bulk writes. Use it
    inside the writes' transaction, so the tally commits with them."""
    _deferred.depth = getattr(_deferred, "depth", 0) + 1
    if _deferred.depth == 1:
        _deferred.ids, _deferred.everything = set(), False
    try:
        yield
    finally:
        _deferred.depth -= 1
    if _deferred.depth == 0:
        ids, everything = _deferred.ids, _deferred.everything
        _deferred.ids, _deferred.everything = set(), False
        if everything:
            tally_sync()
        elif ids:
            tally_sync(initiative_ids=ids)


# Signal receivers (connected in initiatives/apps.py) ----------------------------------


def on_initiative_loaded(*, instance, **_ignored) -> None:
    """Remember the fields an initiative's keys come from, as loaded (no query)."""
    instance._tally_fields = tuple(instance.__dict__.get(name, _UNKNOWN) for name in WATCHED)


def on_initiative_saved(*, instance, created, raw=False, **_ignored) -> None:
    if raw:
        return
    now = tuple(instance.__dict__.get(name, _UNKNOWN) for name in WATCHED)
    if created or now != getattr(instance, "_tally_fields", None) or _UNKNOWN in now:
        tally_sync(initiative_ids=[instance.pk])
    instance._tally_fields = now


def on_initiative_deleted(*, instance, **_ignored) -> None:
    tally_sync(initiative_ids=[instance.pk])


def on_links_changed(*, instance, action, reverse, pk_set, model, **_ignored) -> None:
    """An initiative's topics, population groups or conditions changed (`reverse`: a
    topic's, group's or condition's initiatives did)."""
    if action == "pre_clear" and reverse:
        instance._tally_initiatives = _carrying(type(instance), instance.pk)
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        tally_sync(initiative_ids=[instance.pk])
    elif action == "post_clear":
        tally_sync(initiative_ids=getattr(instance, "_tally_initiatives", []))
    else:
        tally_sync(initiative_ids=pk_set or [])


def _carrying(model, pk) -> list[int]:
    """The ids of the initiatives that carry one topic, population group, condition or
    vanguard site (`model`, `pk`)."""
    if model is VanguardSite:
        return list(Initiative.objects.filter(vanguard_id=pk).values_list("pk", flat=True))
    for name in LINKS.values():
        field = Initiative._meta.get_field(name)
        if field.related_model is model:
            links = field.remote_field.through.objects.filter(
                **{field.m2m_reverse_field_name(): pk}
            )
            return list(links.values_list(field.m2m_field_name() + "_id", flat=True))
    raise LookupError(model)


def on_organisation_loaded(*, instance, **_ignored) -> None:
    instance._tally_legal_form = instance.__dict__.get("legal_form", _UNKNOWN)


def on_organisation_saved(*, instance, created, raw=False, **_ignored) -> None:
    """An organisation's legal form is its initiatives' key."""
    if raw or created:
        return
    legal_form = instance.__dict__.get("legal_form", _UNKNOWN)
    if legal_form != getattr(instance, "_tally_legal_form", _UNKNOWN) or legal_form is _UNKNOWN:
        _sync_organisation(instance.pk)
    instance._tally_legal_form = legal_form


def on_funding_recomputed(*, organisation, **_ignored) -> None:
    """The organisation's band was copied onto its initiatives in bulk."""
    _sync_organisation(organisation.pk)


def _sync_organisation(pk) -> None:
    """The initiatives of one organisation, whose legal form or band they carry."""
    ids = Initiative.objects.filter(organisation_id=pk).values_list("pk", flat=True)
    tally_sync(initiative_ids=list(ids))


def on_value_pre_delete(*, sender, instance, **_ignored) -> None:
    """A topic, population group, condition or vanguard site about to go: its links (or
    the initiatives' references) go with it unsignalled, so remember whom it carried."""
    instance._tally_initiatives = _carrying(sender, instance.pk)


def on_value_deleted(*, instance, **_ignored) -> None:
    tally_sync(initiative_ids=getattr(instance, "_tally_initiatives", []))
