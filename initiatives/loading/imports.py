"""Bulk import of initiatives from the export's own CSV format (exports.COLUMNS).

Export, edit in a spreadsheet, import: rows with a known UUID update that record,
other rows create drafts. Every row is checked first (import_rows), and every
problem is reported by row and column; nothing is written unless every row is
valid, and then all of it is written in one transaction, which first locks the
records it changes and refuses the file if any of them changed while it was
checked. This module matches the checked rows with the register (records by UUID,
organisations by name), plans what each would change, and writes the plan.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from initiatives.caching import bump_version
from initiatives.models import (
    Initiative,
    OpeningTime,
    Organisation,
    free_slug,
    mark_read_under_lock,
    slug_base,
)
from initiatives.opening import format_compact
from initiatives.services import (
    batches,
    history_baseline,
    history_snapshot,
    last_change,
    rows_lock,
    when_in_words,
)
from initiatives.services.closure import closure_sync
from initiatives.services.tally import tally_deferred

from .import_rows import (
    HEADER_BY_NAME,
    ImportRecord,
    Lookups,
    RowReader,
    decode,
    map_headers,
    read_rows,
    size_problem,
)
from .problems import ImportRefused, Problem, Tally

# Told (rows done, rows in all) as an import writes; a job's heartbeat keeps the figures.
Progress = Callable[[int, int], None]

LINK_FIELDS = ["topics", "conditions", "population_groups", "areas"]
SLUG_MAX_LENGTH = Initiative._meta.get_field("slug").max_length


@dataclass
class ImportResult(Tally):
    """What an import did (or, in a dry run, would do) to initiatives and organisations."""

    organisations_created: int = 0
    organisations_updated: int = 0
    dry_run: bool = False

    def __str__(self) -> str:
        verb = "Would create" if self.dry_run else "Created"
        text = (
            f"{verb} {self.created:,} draft initiative{'s' * (self.created != 1)}, "
            f"{'would update' if self.dry_run else 'updated'} {self.updated:,}, "
            f"left {self.unchanged:,} unchanged"
        )
        if self.organisations_created or self.organisations_updated:
            text += (
                f"; organisations: {self.organisations_created:,} new, "
                f"{self.organisations_updated:,} updated"
            )
        return text + (" (dry run: nothing was written)." if self.dry_run else ".")


# Matching and planning --------------------------------------------------------------


@dataclass
class Plan:
    rows: list[ImportRecord]
    creates: list[ImportRecord] = field(default_factory=list)
    updates: list[ImportRecord] = field(default_factory=list)
    unchanged: int = 0
    new_organisations: dict[str, dict] = field(default_factory=dict)  # casefold name -> values
    organisation_names: dict[str, str] = field(default_factory=dict)
    organisation_changes: dict[int, dict] = field(default_factory=dict)
    # The first row naming each organisation the file changes (for problems).
    organisation_rows: dict[int, int] = field(default_factory=dict)


def existing_initiatives(keys: list[uuid.UUID]) -> dict[uuid.UUID, Initiative]:
    """The initiatives with these UUIDs, each with `current_links` (tag field -> ids)."""
    found: dict[uuid.UUID, Initiative] = {}
    for chunk in batches(keys):
        initiatives = (
            Initiative.objects.filter(uuid__in=chunk)
            .select_related("organisation")
            .prefetch_related("opening_times")
        )
        by_pk = {initiative.pk: initiative for initiative in initiatives}
        for initiative in by_pk.values():
            initiative.current_links = {name: set() for name in LINK_FIELDS}
            initiative.weekly_times = format_compact(initiative.opening_times.all())
            found[initiative.uuid] = initiative
        for name in LINK_FIELDS:
            field_ = Initiative._meta.get_field(name)
            source = field_.m2m_field_name() + "_id"
            target = field_.m2m_reverse_field_name() + "_id"
            through = field_.remote_field.through
            for owner, other in through.objects.filter(
                **{f"{source}__in": list(by_pk)}
            ).values_list(source, target):
                by_pk[owner].current_links[name].add(other)
    return found


def _organisations_by_name(names: set[str]) -> dict[str, list[Organisation]]:
    found: dict[str, list[Organisation]] = defaultdict(list)
    if names:
        for organisation in Organisation.objects.all().iterator(chunk_size=2000):
            key = organisation.name.casefold()
            if key in names:
                found[key].append(organisation)
    return found


def _narrowed(organisations: list[Organisation], row: ImportRecord) -> list[Organisation]:
    """Organisations sharing a name, told apart by the row's charity or company number."""
    for number in ("charity_number", "company_number"):
        if len(organisations) < 2:
            break
        given = row.organisation_values.get(number)
        if given:
            organisations = [o for o in organisations if getattr(o, number) == given]
    return organisations


def plan_import(
    rows: list[ImportRecord], existing: dict[uuid.UUID, Initiative], problems: list[Problem]
) -> Plan:
    """Match rows with records and organisations, and work out what each would change."""
    plan = Plan(rows=rows)

    names = {row.organisation_name.casefold() for row in rows if row.organisation_name}
    organisations = _organisations_by_name(names)
    organisation_rows: dict[object, tuple[int, dict]] = {}

    for row in rows:
        initiative = existing.get(row.key) if row.key else None
        row.initiative = initiative
        # Which organisation: the current one when its name is unchanged, else by name.
        if row.organisation_name is None:
            row.organisation_key = initiative.organisation_id if initiative else None
        elif not row.organisation_name:
            row.organisation_key = None
        elif (
            initiative is not None
            and initiative.organisation is not None
            and initiative.organisation.name.casefold() == row.organisation_name.casefold()
        ):
            row.organisation_key = initiative.organisation_id
        else:
            matches = _narrowed(organisations.get(row.organisation_name.casefold(), []), row)
            if len(matches) > 1:
                problems.append(
                    Problem(
                        row.number,
                        "Organisation",
                        f"{len(matches)} organisations are called \u201c{row.organisation_name}"
                        "\u201d: give its charity or company number to say which, or link "
                        "the initiative in the admin.",
                    )
                )
                continue
            row.organisation_key = (
                matches[0].pk if matches else ("new", row.organisation_name.casefold())
            )
        # Organisation columns must agree between rows of one organisation.
        if row.organisation_key is not None and row.organisation_values:
            earlier = organisation_rows.get(row.organisation_key)
            if earlier is None:
                organisation_rows[row.organisation_key] = (row.number, row.organisation_values)
            else:
                number, values = earlier
                for name, value in row.organisation_values.items():
                    if name in values and values[name] != value:
                        problems.append(
                            Problem(
                                row.number,
                                HEADER_BY_NAME[name],
                                f"Row {number} gives this organisation a different "
                                f"{HEADER_BY_NAME[name].lower()}; the rows of one organisation "
                                "must agree.",
                            )
                        )
        if initiative is not None:
            _check_not_changed_since_export(row, problems)

    # Organisations to create or change.
    all_organisations = {o.pk: o for group in organisations.values() for o in group}
    for row in rows:
        if row.initiative is not None and row.initiative.organisation is not None:
            all_organisations.setdefault(
                row.initiative.organisation_id, row.initiative.organisation
            )
    for key, (_, values) in organisation_rows.items():
        if isinstance(key, tuple):
            continue
        organisation = all_organisations[key]
        changed = {
            name: value for name, value in values.items() if getattr(organisation, name) != value
        }
        if changed:
            plan.organisation_changes[key] = changed
            plan.organisation_rows[key] = organisation_rows[key][0]
    for row in rows:
        if isinstance(row.organisation_key, tuple):
            name = row.organisation_key[1]
            plan.organisation_names.setdefault(name, row.organisation_name)
            plan.new_organisations.setdefault(name, {}).update(
                organisation_rows.get(row.organisation_key, (0, {}))[1]
            )
    plan.all_organisations = all_organisations

    for row in rows:
        if row.initiative is None:
            plan.creates.append(row)
        elif _changes(row):
            plan.updates.append(row)
        else:
            plan.unchanged += 1
    return plan


def _changes(row: ImportRecord) -> dict:
    """Initiative fields (and tag fields) the row would change on its record."""
    initiative = row.initiative
    changed = {
        name: value for name, value in row.values.items() if getattr(initiative, name) != value
    }
    if (
        not isinstance(row.organisation_key, tuple)
        and row.organisation_key != initiative.organisation_id
    ):
        changed["organisation_id"] = row.organisation_key
    if isinstance(row.organisation_key, tuple):
        changed["organisation_id"] = row.organisation_key
    for name, ids in row.links.items():
        if initiative.current_links[name] != ids:
            changed[name] = ids
    if row.opening_times is not None and format_compact(row.opening_times) != (
        initiative.weekly_times
    ):
        changed["opening_times"] = row.opening_times
    return changed


def _check_not_changed_since_export(row: ImportRecord, problems: list[Problem]) -> None:
    """Refuse a row whose record was changed after the file was exported (it would undo that)."""
    if row.exported_at is None or not _changes(row):
        return
    exported, has_seconds = row.exported_at
    updated = timezone.localtime(row.initiative.updated_at).replace(microsecond=0, tzinfo=None)
    if not has_seconds:
        updated = updated.replace(second=0)
    if updated > exported:
        moment, who = last_change(Initiative, row.initiative.pk)
        problems.append(
            Problem(
                row.number,
                "Last updated",
                f"This initiative was changed in the register at {when_in_words(moment)} by "
                f"{who}, after this file was exported. Importing the row would undo that "
                "change: export again and make this row's changes in the new file.",
            )
        )


# Writing ------------------------------------------------------------------------------


def _changed_meanwhile(model, pk, stored_version) -> str:
    if stored_version is None:
        return "was deleted from the register while the file was being checked"
    moment, who = last_change(model, pk)
    return (
        f"was changed in the register at {when_in_words(moment)} by {who} while the file "
        "was being checked"
    )


def lock_what_changes(plan: Plan) -> None:
    """Lock the organisations and initiatives the import changes (in primary-key order,
    organisations first, as an organisation's save locks its initiatives) and refuse
    the whole import if any of them changed after the file was checked against it.

    Call inside the import's transaction. Raises ImportRefused naming each record.
    """
    problems = []
    stored = rows_lock(model=Organisation, pks=plan.organisation_changes)
    for pk in plan.organisation_changes:
        organisation = plan.all_organisations[pk]
        if stored.get(pk) != organisation.version:
            problems.append(
                Problem(
                    plan.organisation_rows.get(pk),
                    "Organisation",
                    f"The organisation \u201c{organisation.name}\u201d "
                    f"{_changed_meanwhile(Organisation, pk, stored.get(pk))}. Importing the "
                    "row would undo that change, so nothing was imported: upload the file "
                    "again.",
                )
            )
    stored = rows_lock(model=Initiative, pks=[row.initiative.pk for row in plan.updates])
    for row in plan.updates:
        pk = row.initiative.pk
        if stored.get(pk) != row.initiative.version:
            problems.append(
                Problem(
                    row.number,
                    "UUID",
                    f"The initiative \u201c{row.initiative.name}\u201d "
                    f"{_changed_meanwhile(Initiative, pk, stored.get(pk))}. Importing the row "
                    "would undo that change, so nothing was imported: upload the file again.",
                )
            )
    problems.extend(_lock_new_organisation_names(plan))
    if problems:
        raise ImportRefused(sorted(problems, key=lambda p: p.row or 0))


# Held (PostgreSQL, until the import's transaction ends) by every import that creates
# organisations, so that two at once cannot both find a name free and both create it.
NEW_ORGANISATIONS_LOCK = 7_316_001


def _lock_new_organisation_names(plan: Plan) -> list[Problem]:
    """Wait for any other import creating organisations, then check again that the names
    this one creates are still free: one created meanwhile refuses the import."""
    if not plan.new_organisations:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NEW_ORGANISATIONS_LOCK])
    taken = _organisations_by_name(set(plan.new_organisations))
    return [
        Problem(
            None,
            "Organisation",
            f"An organisation named \u201c{plan.organisation_names[key]}\u201d was added to "
            "the register while the file was being checked (by another import or a "
            "curator), so nothing was imported: upload the file again to use it.",
        )
        for key in sorted(taken)
    ]


def _write(plan: Plan, *, user, filename: str, progress: Progress | None = None) -> ImportResult:
    result = ImportResult(
        created=len(plan.creates), updated=len(plan.updates), unchanged=plan.unchanged
    )
    total = len(plan.creates) + len(plan.updates) + plan.unchanged
    done = plan.unchanged
    if progress is not None:
        progress(done, total)
    reason = f"Imported from {filename}"[:100]
    today = timezone.localdate()

    # Organisations first: new ones, then changes (history by their save() signals).
    organisations = dict(plan.all_organisations)
    new_by_name: dict[str, Organisation] = {}
    for key, values in plan.new_organisations.items():
        organisation = Organisation(name=plan.organisation_names[key], **values)
        organisation.source_note = f"Imported from {filename} on {today.isoformat()}."
        organisation._history_user = user
        organisation._change_reason = reason
        organisation.save()
        new_by_name[key] = organisation
    result.organisations_created = len(new_by_name)
    if plan.organisation_changes:
        history_baseline(model=Organisation, pks=list(plan.organisation_changes))
    for pk, changed in plan.organisation_changes.items():
        organisation = organisations[pk]
        for name, value in changed.items():
            setattr(organisation, name, value)
        organisation._history_user = user
        organisation._change_reason = reason
        organisation.save()
    result.organisations_updated = len(plan.organisation_changes)

    def organisation_for(row: ImportRecord):
        key = row.organisation_key
        if isinstance(key, tuple):
            return new_by_name[key[1]]
        return organisations.get(key) if key is not None else None

    history_baseline(model=Initiative, pks=[row.initiative.pk for row in plan.updates])
    # Locked since lock_what_changes; read again, as a baseline moves a version on.
    stored = rows_lock(model=Initiative, pks=[row.initiative.pk for row in plan.updates])
    for row in plan.updates:
        mark_read_under_lock(row.initiative, stored[row.initiative.pk])
    link_changes: list[tuple[int, str, set[int], set[int]]] = []
    created_pks, updated_pks = [], []
    opening_changes: list[tuple[Initiative, list]] = []

    slugs = new_slugs([row.values["name"] for row in plan.creates])
    for row, slug in zip(plan.creates, slugs, strict=True):
        initiative = Initiative(status=Initiative.Status.DRAFT, slug=slug, **row.values)
        if row.key is not None:
            initiative.uuid = row.key
        initiative.organisation = organisation_for(row)
        initiative.source_note = f"Imported from {filename} on {today.isoformat()}."
        if initiative.last_verified_on is not None:
            initiative.last_verified_by = user
        initiative.skip_history_when_saving = True
        initiative.save()
        created_pks.append(initiative.pk)
        done += 1
        if progress is not None:
            progress(done, total)
        for name, ids in row.links.items():
            link_changes.append((initiative.pk, name, ids, set()))
        if row.opening_times:
            opening_changes.append((initiative, row.opening_times))

    for row in plan.updates:
        initiative = row.initiative
        changed = _changes(row)
        fields = {"updated_at"}
        for name, value in row.values.items():
            if name in changed:
                setattr(initiative, name, value)
                fields.add(name.removesuffix("_id"))
        if "last_verified_on" in changed and initiative.last_verified_on is not None:
            initiative.last_verified_by = user
            fields.add("last_verified_by")
        if "organisation_id" in changed:
            initiative.organisation = organisation_for(row)
            fields |= {"organisation", "funding_dependency", "largest_funder_share", "nhs_share"}
        initiative.skip_history_when_saving = True
        initiative.save(update_fields=fields)
        updated_pks.append(initiative.pk)
        done += 1
        if progress is not None:
            progress(done, total)
        for name, ids in row.links.items():
            if name in changed:
                link_changes.append((initiative.pk, name, ids, initiative.current_links[name]))
        if "opening_times" in changed:
            opening_changes.append((initiative, row.opening_times))

    _write_links(link_changes)
    _write_opening_times(opening_changes, user=user, reason=reason)
    history_snapshot(model=Initiative, pks=created_pks, user=user, reason=reason, history_type="+")
    history_snapshot(model=Initiative, pks=updated_pks, user=user, reason=reason, history_type="~")
    return result


def _write_opening_times(changes: list[tuple[Initiative, list]], *, user, reason: str) -> None:
    """Replace each initiative's usual weekly times (its undated slots) with the file's.

    Dated times and closures are edited in the admin and kept. Each slot is saved or
    deleted on its own, so its history records who did it.
    """
    undated = {"valid_from__isnull": True, "valid_to__isnull": True, "closed": False}
    for initiative, slots in changes:
        old = list(initiative.opening_times.filter(**undated))
        history_baseline(model=OpeningTime, pks=[slot.pk for slot in old])
        for slot in old:
            slot._history_user = user
            slot._change_reason = reason
            slot.delete()
        for slot in slots:
            new = OpeningTime(
                initiative=initiative,
                day=slot.day,
                opens_at=slot.opens_at,
                closes_at=slot.closes_at,
            )
            new._history_user = user
            new._change_reason = reason
            new.save()


def new_slugs(names: list[str]) -> list[str]:
    """Unique slugs for new initiatives, as models.unique_slug makes them, from one query.

    (One query in all, where unique_slug's per-record LIKE query scans the table on SQLite.)
    """
    if not names:
        return []
    taken = set(Initiative.objects.values_list("slug", flat=True))
    slugs = []
    for name in names:
        candidate = free_slug(slug_base(name, max_length=SLUG_MAX_LENGTH), taken)
        taken.add(candidate)
        slugs.append(candidate)
    return slugs


def _write_links(changes: list[tuple[int, str, set[int], set[int]]]) -> None:
    """Add and remove tag links in bulk (history is written after, with the final tags)."""
    by_field: dict[str, list] = defaultdict(list)
    for owner, name, wanted, current in changes:
        by_field[name].append((owner, wanted, current))
    for name, rows in by_field.items():
        field_ = Initiative._meta.get_field(name)
        source = field_.m2m_field_name() + "_id"
        target = field_.m2m_reverse_field_name() + "_id"
        through = field_.remote_field.through
        added = [
            through(**{source: owner, target: other})
            for owner, wanted, current in rows
            for other in sorted(wanted - current)
        ]
        through.objects.bulk_create(added, batch_size=1000)
        for owner, wanted, current in rows:
            gone = current - wanted
            if gone:
                through.objects.filter(**{source: owner, f"{target}__in": gone}).delete()
    # The link table was written in bulk (no signals): the area closure follows here.
    moved = [owner for owner, name, wanted, current in changes if name == "areas"]
    if moved:
        closure_sync(initiative_ids=moved)


# The import -----------------------------------------------------------------------


def import_initiatives(
    data: bytes,
    *,
    filename: str = "the file",
    dry_run: bool = False,
    user=None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check every row of a CSV file in the export's format, then import all of it or nothing.

    Raises ImportRefused listing every problem (by row and column) when any row is
    invalid; then nothing is written. With dry_run, only checks and counts.
    `progress(done, total)` is told of each row written (a job's page shows it).
    """
    too_big = size_problem(len(data))
    if too_big:
        raise ImportRefused([too_big])
    header, records = read_rows(decode(data))
    positions, problems = map_headers(header)
    if problems:
        raise ImportRefused(problems)
    if not records:
        raise ImportRefused([Problem(None, None, "The file has a header row but no initiatives.")])
    reader = RowReader(positions, Lookups(), problems)
    keys: dict[int, uuid.UUID] = {}
    first_row_of: dict[uuid.UUID, int] = {}
    for number, cells in records:
        key = reader.key(number, cells)
        if key is None:
            continue
        if key in first_row_of:
            problems.append(
                Problem(
                    number,
                    "UUID",
                    f"This UUID is also in row {first_row_of[key]}: each initiative can "
                    "appear once in a file.",
                )
            )
        else:
            first_row_of[key] = number
        keys[number] = key
    existing = existing_initiatives(list(first_row_of))
    rows = []
    for number, cells in records:
        key = keys.get(number)
        current = existing.get(key) if first_row_of.get(key) == number else None
        row = reader.read(number, cells, current)
        if row is not None:
            rows.append(row)
    plan = plan_import(rows, existing, problems)
    if problems:
        raise ImportRefused(sorted(problems, key=lambda p: p.row or 0))
    if dry_run:
        result = ImportResult(
            created=len(plan.creates),
            updated=len(plan.updates),
            unchanged=plan.unchanged,
            organisations_created=len(plan.new_organisations),
            organisations_updated=len(plan.organisation_changes),
            dry_run=True,
        )
        return result
    try:
        with transaction.atomic():
            lock_what_changes(plan)
            # Each saved record and its links would sync the facet tally: once, at the end.
            with tally_deferred():
                written = _write(plan, user=user, filename=filename, progress=progress)
            bump_version()
            return written
    except IntegrityError as exc:
        raise ImportRefused(
            [
                Problem(
                    None,
                    None,
                    f"The database refused the import, so nothing was written ({exc}). "
                    "Try again; if it happens again, tell a developer.",
                )
            ]
        ) from exc
