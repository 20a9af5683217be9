"""Loading the seed files (seeds/*.csv) into the register.

All or nothing: every file is read, checked and written inside one transaction,
so one bad cell leaves the database as it was. Rows are matched to existing
records by slug (funding lines by organisation, funder type, year end, funder
name and amount) and only rows whose values differ are written, so a second run changes
nothing. Records that are not in the files are never touched. The files are read
and checked by seed_files; this module checks what their rows ask for against the
models and the database, and writes it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction

from initiatives.areas import loop_message, path_between
from initiatives.caching import bump_version
from initiatives.models import (
    Area,
    Condition,
    FundingLine,
    Initiative,
    Organisation,
    PopulationGroup,
    Topic,
    VanguardSite,
    share_total_too_high,
)
from initiatives.services.closure import closure_deferred, closure_sync
from initiatives.services.tally import tally_deferred
from initiatives.validators import PUBLIC_TEXT_FIELDS, note_to_self_warning

from .problems import Problem, SeedError, Tally
from .rows import Row
from .seed_files import (
    AREA_COLUMNS,
    CONDITION_COLUMNS,
    FUNDING_LINE_COLUMNS,
    INITIATIVE_COLUMNS,
    NAME_COLUMNS,
    ORGANISATION_COLUMNS,
    VANGUARD_COLUMNS,
    SeedFile,
)

# The reference's spelling of a funder type -> the register's code.
FUNDER_TYPE_ALIASES = {"trusts_and_foundations": FundingLine.FunderType.TRUSTS_FOUNDATIONS}

# Keeps `slug IN (...)` lists well under every database's parameter limit.
LOOKUP_CHUNK = 500


@dataclass
class Record:
    """What one row asks for: field values (by attribute name) and many-to-many links."""

    row: Row
    key: object
    values: dict
    links: dict = field(default_factory=dict)
    # Columns that hold each model field, where the names differ.
    columns: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def slug_map(model) -> dict[str, int]:
    return dict(model.objects.values_list("slug", "pk"))


def by_slug(model, slugs) -> dict[str, models.Model]:
    slugs = list(slugs)
    found = {}
    for start in range(0, len(slugs), LOOKUP_CHUNK):
        for obj in model.objects.filter(slug__in=slugs[start : start + LOOKUP_CHUNK]):
            found[obj.slug] = obj
    return found


class SeedLoader:
    """Reads, checks and writes the seed files in dependency order."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.tallies: dict[str, Tally] = {}
        # Worth a look but no reason to refuse the load (public text like a note to self).
        self.warnings: list[Problem] = []

    def load(self) -> dict[str, Tally]:
        # Links are written in bulk (no signals) and areas one by one: the area closure
        # is brought up to date once, at the end, when areas or initiatives changed.
        with transaction.atomic(), tally_deferred(), closure_deferred():
            self.load_areas()
            self.load_named("conditions", Condition, CONDITION_COLUMNS)
            self.load_named("topics", Topic, NAME_COLUMNS)
            self.load_named("population_groups", PopulationGroup, NAME_COLUMNS)
            self.load_vanguards()
            self.load_organisations()
            self.load_funding_lines()
            self.load_initiatives()
            moved = [self.tallies.get(name) for name in ("areas", "initiatives")]
            if any(tally and (tally.created or tally.updated) for tally in moved):
                closure_sync()
        return self.tallies

    # Shared steps ---------------------------------------------------------

    def open(self, stem: str, columns: list[str]) -> tuple[SeedFile, list[Row]]:
        file = SeedFile(self.directory, stem, columns)
        return file, file.rows()

    @staticmethod
    def keyed(file: SeedFile, records: list[Record], what: str = "slug") -> None:
        first_row: dict = {}
        for record in records:
            if record.key in first_row:
                record.row.problem(
                    "slug" if what == "slug" else None,
                    f"the same {what} as row {first_row[record.key]}; each row needs its own.",
                )
            else:
                first_row[record.key] = record.row.number

    @staticmethod
    def validate(model, records: list[Record], *, exclude=(), model_clean: bool = True) -> None:
        """Run the model's own validation on every row; report failures by column.

        Columns that already have a problem on the row are not reported twice.
        """
        for record in records:
            reported = {
                problem.column
                for problem in record.row.file.problems
                if problem.row == record.row.number
            }
            instance = model(**record.values)
            try:
                if model_clean:
                    instance.full_clean(
                        exclude=list(exclude), validate_unique=False, validate_constraints=False
                    )
                else:
                    instance.clean_fields(exclude=list(exclude))
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    column = None if name == NON_FIELD_ERRORS else record.columns.get(name, name)
                    if column in reported:
                        continue
                    for message in messages:
                        record.row.problem(column, message)
            else:
                # Keep the values as cleaning left them (e.g. normalised numbers).
                record.values = {name: getattr(instance, name) for name in record.values}

    def warn_notes_to_self(self, file: SeedFile, records: list[Record]) -> None:
        """A warning for each public text cell that reads like a note to self."""
        for record in records:
            for name in PUBLIC_TEXT_FIELDS:
                warning = note_to_self_warning(name, record.values.get(name, ""))
                if warning is not None:
                    self.warnings.append(
                        Problem(record.row.number, name, warning, file=file.display)
                    )

    def write(self, model, records, *, existing, resolve=None, prepare=None, bulk=False):
        """Create or update each record's row; returns key -> instance.

        With `bulk`, new rows are inserted in batches without calling save(): only for
        models whose save() does nothing but fill in a missing slug.
        """
        written: dict = {}
        new = []
        for record in records:
            if resolve:
                resolve(record)
            obj = existing.get(record.key)
            created = obj is None
            if created:
                obj = model(**record.values)
                changed = True
            else:
                changed = any(getattr(obj, k) != v for k, v in record.values.items())
                for name, value in record.values.items():
                    setattr(obj, name, value)
            record.extra["created"] = created
            record.extra["changed"] = changed
            written[record.key] = obj
            if created and bulk:
                new.append(obj)
            elif changed:
                if prepare:
                    prepare(obj)
                self.save(obj, record)
        if new:
            try:
                model.objects.bulk_create(new, batch_size=LOOKUP_CHUNK)
            except IntegrityError as exc:
                raise SeedError(
                    [
                        Problem(
                            None,
                            None,
                            f"the database refused a row ({exc}).",
                            file=records[0].row.file.display,
                        )
                    ]
                ) from exc
        return written

    def write_links(self, model, records, written) -> None:
        """Add and remove the many-to-many links that differ, in a few bulk queries.

        Records whose links moved count as updated, and their updated_at is touched.
        """
        pks = [obj.pk for obj in written.values()]
        touched: set = set()
        for name in {name for record in records for name in record.links}:
            relation = model._meta.get_field(name)
            source = relation.m2m_field_name() + "_id"
            target = relation.m2m_reverse_field_name() + "_id"
            through = relation.remote_field.through
            current: dict = defaultdict(set)
            for start in range(0, len(pks), LOOKUP_CHUNK):
                chunk = pks[start : start + LOOKUP_CHUNK]
                rows = through.objects.filter(**{f"{source}__in": chunk})
                for owner, other in rows.values_list(source, target):
                    current[owner].add(other)
            added, removed = [], []
            for record in records:
                owner = written[record.key].pk
                wanted = set(record.links.get(name, ()))
                if name not in record.links or wanted == current[owner]:
                    continue
                touched.add(record.key)
                added += [through(**{source: owner, target: t}) for t in wanted - current[owner]]
                removed += [(owner, t) for t in current[owner] - wanted]
            through.objects.bulk_create(added, batch_size=LOOKUP_CHUNK)
            for owner, other in removed:
                through.objects.filter(**{source: owner, target: other}).delete()
        has_updated_at = any(f.name == "updated_at" for f in model._meta.fields)
        for record in records:
            if record.key in touched and not record.extra["changed"]:
                record.extra["changed"] = True
                if has_updated_at:
                    written[record.key].save(update_fields=["updated_at"])

    def count(self, label: str, records: list[Record]) -> None:
        tally = self.tallies.setdefault(label, Tally())
        for record in records:
            tally.add(created=record.extra["created"], changed=record.extra["changed"])

    @staticmethod
    def save(obj, record: Record) -> None:
        # No savepoint per row: a refused row aborts the whole load anyway.
        try:
            obj.save()
        except IntegrityError as exc:
            record.row.problem(None, f"the database refused this row ({exc}).")
            record.row.file.raise_problems()

    # Files --------------------------------------------------------------

    def load_areas(self) -> None:
        file, rows = self.open("areas", AREA_COLUMNS)
        known = set(slug_map(Area)) | {row.text("slug") for row in rows}
        records = []
        for row in rows:
            record = Record(
                row=row,
                key=row.text("slug", required=True),
                values={
                    "slug": row.text("slug"),
                    "name": row.text("name", required=True),
                    "kind": row.choice("kind", Area.Kind.choices),
                    "code": row.text("code"),
                    "ods_code": row.text("ods_code"),
                    "source_note": row.text("source_note"),
                },
            )
            record.extra["parent"] = row.reference("parent_slug", known, "area")
            record.extra["other_parents"] = row.references("other_parent_slugs", known, "area")
            records.append(record)
        self.keyed(file, records)
        self.check_area_codes(records)
        self.check_area_loops(records)
        records = self.parents_first(records)
        self.validate(Area, records, exclude=["parent"])
        file.raise_problems()

        pks = slug_map(Area)

        def resolve(record):
            parent = record.extra["parent"]
            record.values["parent_id"] = pks[parent] if parent else None

        def remember(written):
            pks.update({slug: obj.pk for slug, obj in written.items()})

        existing = by_slug(Area, [r.key for r in records])
        written = {}
        # Level by level, so that a parent's id is known before its children are written.
        for level in self.levels(records):
            written.update(self.write(Area, level, existing=existing, resolve=resolve, bulk=True))
            remember(written)
        for record in records:
            record.links["other_parents"] = [pks[slug] for slug in record.extra["other_parents"]]
        self.write_links(Area, records, written)
        self.count("areas", records)

    @staticmethod
    def check_area_codes(records: list[Record]) -> None:
        seen: dict[str, int] = {}
        for record in records:
            code = record.values["code"]
            if not code:
                continue
            if code in seen:
                record.row.problem("code", f'"{code}" is already the code of row {seen[code]}.')
            else:
                seen[code] = record.row.number
        slugs = [record.key for record in records]
        taken = dict(
            Area.objects.filter(code__in=list(seen))
            .exclude(slug__in=slugs)
            .values_list("code", "slug")
        )
        for record in records:
            code = record.values["code"]
            if code in taken:
                record.row.problem(
                    "code", f'"{code}" is already the code of the area "{taken[code]}".'
                )

    @staticmethod
    def check_area_loops(records: list[Record]) -> None:
        """A problem on each row whose parent or other parents already lie within it,
        in the hierarchy the load would leave: the file's rows, and the areas in the
        database that the file does not name. Areas are a tree with a few extra links,
        never a loop."""
        in_file = {record.key: record for record in records}
        children: dict[str, list[str]] = defaultdict(list)
        for slug, parent in Area.objects.exclude(slug__in=list(in_file)).values_list(
            "slug", "parent__slug"
        ):
            if parent:
                children[parent].append(slug)
        links = Area.other_parents.through.objects.exclude(from_area__slug__in=list(in_file))
        for slug, parent in links.values_list("from_area__slug", "to_area__slug"):
            children[parent].append(slug)
        for record in records:
            for parent in [record.extra["parent"], *record.extra["other_parents"]]:
                if parent:
                    children[parent].append(record.key)
        for record in records:
            parents = {
                "parent_slug": [record.extra["parent"]] if record.extra["parent"] else [],
                "other_parent_slugs": record.extra["other_parents"],
            }
            for column, slugs in parents.items():
                for slug in slugs:
                    chain = path_between(children, record.key, {slug})
                    if chain is not None:
                        record.row.problem(column, loop_message(chain))

    @staticmethod
    def parents_first(records: list[Record]) -> list[Record]:
        """The records ordered so that every parent in the file comes before its children."""
        by_key = {record.key: record for record in records}
        ordered: list[Record] = []
        state: dict = {}  # key -> "visiting" | "done"
        for record in records:
            chain = []
            current = record
            while current is not None and state.get(current.key) is None:
                state[current.key] = "visiting"
                chain.append(current)
                parent = by_key.get(current.extra["parent"])
                if parent is not None and state.get(parent.key) == "visiting":
                    parent = None  # a loop: check_area_loops has reported it
                current = parent
            for item in reversed(chain):
                state[item.key] = "done"
                ordered.append(item)
        return ordered

    @staticmethod
    def levels(records: list[Record]) -> list[list[Record]]:
        """Records (parents first) grouped by how many parents in the file lie above them."""
        depth: dict = {}
        grouped: dict[int, list[Record]] = defaultdict(list)
        for record in records:
            parent = record.extra["parent"]
            depth[record.key] = depth[parent] + 1 if parent in depth else 0
            grouped[depth[record.key]].append(record)
        return [grouped[n] for n in sorted(grouped)]

    def load_named(self, stem: str, model, columns: list[str]) -> None:
        file, rows = self.open(stem, columns)
        records = []
        for row in rows:
            values = {
                "slug": row.text("slug", required=True),
                "name": row.text("name", required=True),
            }
            if "is_rare" in columns:
                values["is_rare"] = row.boolean("is_rare")
            records.append(Record(row=row, key=values["slug"], values=values))
        self.keyed(file, records)
        self.validate(model, records)
        file.raise_problems()
        existing = by_slug(model, [r.key for r in records])
        self.write(model, records, existing=existing, bulk=True)
        self.count(stem, records)

    def load_vanguards(self) -> None:
        file, rows = self.open("vanguards", VANGUARD_COLUMNS)
        areas = slug_map(Area)
        records = []
        for row in rows:
            record = Record(
                row=row,
                key=row.text("slug", required=True),
                values={
                    "slug": row.text("slug"),
                    "name": row.text("name", required=True),
                    "care_model": row.choice("care_model", VanguardSite.CareModel.choices),
                    "social_movement_site": row.boolean("social_movement_site"),
                    "lead_organisations": row.text("lead_organisations"),
                    "area_description": row.text("area_description"),
                    "source_note": row.text("source_note"),
                },
                links={"areas": row.references("area_slugs", areas, "area")},
                columns={"areas": "area_slugs"},
            )
            records.append(record)
        self.keyed(file, records)
        self.validate(VanguardSite, records)
        file.raise_problems()
        existing = by_slug(VanguardSite, [r.key for r in records])
        written = self.write(VanguardSite, records, existing=existing, bulk=True)
        self.write_links(VanguardSite, records, written)
        self.count("vanguards", records)

    def load_organisations(self) -> None:
        file, rows = self.open("organisations", ORGANISATION_COLUMNS)
        records = []
        for row in rows:
            records.append(
                Record(
                    row=row,
                    key=row.text("slug", required=True),
                    values={
                        "slug": row.text("slug"),
                        "name": row.text("name", required=True),
                        "legal_form": row.choice(
                            "legal_form", Organisation.LegalForm.choices, blank=True
                        ),
                        "charity_number": row.text("charity_number"),
                        "company_number": row.text("company_number"),
                        "website": row.text("website"),
                        "source_note": row.text("source_note"),
                    },
                )
            )
        self.keyed(file, records)
        self.validate(Organisation, records)
        file.raise_problems()
        existing = by_slug(Organisation, [r.key for r in records])
        self.organisations = self.write(Organisation, records, existing=existing)
        self.count("organisations", records)

    def load_funding_lines(self) -> None:
        file, rows = self.open("funding_lines", FUNDING_LINE_COLUMNS)
        organisations = slug_map(Organisation)
        funder_types = [
            *FundingLine.FunderType.choices,
            *((alias, "") for alias in FUNDER_TYPE_ALIASES),
        ]
        records = []
        for row in rows:
            year_end = row.date("financial_year_end")
            funder_type = row.choice("funder_type", funder_types)
            values = {
                "organisation_id": row.reference(
                    "organisation_slug", organisations, "organisation", required=True
                ),
                "financial_year_end": year_end,
                "year": FundingLine.start_year(year_end) if year_end else None,
                "funder_type": FUNDER_TYPE_ALIASES.get(funder_type, funder_type),
                "funder_name": row.text("funder_name"),
                "amount_gbp": row.integer("amount_gbp", required=False),
                "share": row.decimal("share_percent", required=False),
                "total_income_gbp": row.integer("total_income_gbp", required=False),
                "source": row.text("source"),
                "source_note": row.text("note"),
            }
            if values["share"] is not None and values["total_income_gbp"] is None:
                row.problem(
                    "share_percent",
                    "a share of income needs the total income from the same source in "
                    "total_income_gbp; leave the share empty where the source gives no total.",
                )
            key = (
                values["organisation_id"],
                values["funder_type"],
                values["financial_year_end"],
                values["funder_name"],
                values["amount_gbp"],
            )
            records.append(
                Record(
                    row=row,
                    key=key,
                    values=values,
                    columns={
                        "organisation": "organisation_slug",
                        "share": "share_percent",
                        "source_note": "note",
                    },
                )
            )
        self.keyed(file, records, what="organisation, funder type, year end, funder and amount")
        # The model's clean() sums shares already in the database; the file may change them,
        # so the sum is checked here on what the database will hold afterwards.
        self.validate(FundingLine, records, exclude=["organisation"], model_clean=False)
        file.raise_problems()
        org_ids = {r.values["organisation_id"] for r in records}
        existing = {
            (
                line.organisation_id,
                line.funder_type,
                line.financial_year_end,
                line.funder_name,
                line.amount_gbp,
            ): line
            for line in FundingLine.objects.filter(organisation_id__in=org_ids)
        }
        self.check_shares(records, existing)
        file.raise_problems()
        organisations_by_pk = {obj.pk: obj for obj in self.organisations.values()}
        missing = org_ids - set(organisations_by_pk)
        organisations_by_pk.update(Organisation.objects.in_bulk(list(missing)))

        def prepare(line):
            # The shared instance, so that recompute_funding updates what initiatives copy.
            line.organisation = organisations_by_pk[line.organisation_id]

        self.write(FundingLine, records, existing=existing, prepare=prepare)
        self.organisations_by_pk = organisations_by_pk
        self.count("funding_lines", records)

    @staticmethod
    def check_shares(records: list[Record], existing: dict) -> None:
        totals: dict = defaultdict(Decimal)
        lines: dict = defaultdict(int)
        in_file = {record.key for record in records}
        for key, line in existing.items():
            if key not in in_file and line.share is not None:
                totals[(line.organisation_id, line.year)] += line.share
                lines[(line.organisation_id, line.year)] += 1
        records = [r for r in records if r.values["share"] is not None]
        for record in records:
            year = (record.values["organisation_id"], record.values["year"])
            totals[year] += record.values["share"]
            lines[year] += 1
        for record in records:
            year = (record.values["organisation_id"], record.values["year"])
            total = totals[year]
            if share_total_too_high(total, lines[year]):
                record.row.problem(
                    "share_percent",
                    f"shares for {record.values['year']} would add up to {total}%; "
                    "shares of one year can add up to at most 100%.",
                )

    def load_initiatives(self) -> None:
        file, rows = self.open("initiatives", INITIATIVE_COLUMNS)
        organisations = slug_map(Organisation)
        vanguards = slug_map(VanguardSite)
        topics, conditions = slug_map(Topic), slug_map(Condition)
        groups, areas = slug_map(PopulationGroup), slug_map(Area)
        records = []
        for row in rows:
            records.append(
                Record(
                    row=row,
                    key=row.text("slug", required=True),
                    values={
                        "slug": row.text("slug"),
                        "name": row.text("name", required=True),
                        "organisation_id": row.reference(
                            "organisation_slug", organisations, "organisation"
                        ),
                        "summary": row.text("summary"),
                        "role": row.choice("role", Initiative.Role.choices),
                        "national": row.boolean("national"),
                        "vanguard_id": row.reference("vanguard_slug", vanguards, "vanguard site"),
                        "website": row.text("website"),
                        "status": row.choice("status", Initiative.Status.choices),
                        "last_verified_on": row.date("last_verified_on"),
                        "source_note": row.text("source_note"),
                        "lifecycle": row.choice(
                            "lifecycle", Initiative.Lifecycle.choices, blank=True
                        ),
                        "started_in": row.integer("started_in", required=False),
                        "ended_in": row.integer("ended_in", required=False),
                        "curator_note": row.text("curator_note"),
                        "located_in_town": row.text("located_in_town"),
                    },
                    links={
                        "topics": row.references("topic_slugs", topics, "topic"),
                        "conditions": row.references("condition_slugs", conditions, "condition"),
                        "population_groups": row.references(
                            "population_slugs", groups, "population group"
                        ),
                        "areas": row.references("area_slugs", areas, "area"),
                    },
                    columns={
                        "organisation": "organisation_slug",
                        "vanguard": "vanguard_slug",
                        "topics": "topic_slugs",
                        "conditions": "condition_slugs",
                        "population_groups": "population_slugs",
                        "areas": "area_slugs",
                    },
                )
            )
        self.keyed(file, records)
        self.validate(Initiative, records, exclude=["organisation", "vanguard"])
        file.raise_problems()
        self.warn_notes_to_self(file, records)
        by_pk = getattr(self, "organisations_by_pk", {})
        wanted = {r.values["organisation_id"] for r in records} - set(by_pk) - {None}
        by_pk = {**by_pk, **Organisation.objects.in_bulk(list(wanted))}

        def prepare(initiative):
            # save() copies funding figures from the organisation; hand it the loaded one.
            if initiative.organisation_id is not None:
                initiative.organisation = by_pk[initiative.organisation_id]

        existing = by_slug(Initiative, [r.key for r in records])
        written = self.write(Initiative, records, existing=existing, prepare=prepare)
        self.write_links(Initiative, records, written)
        self.count("initiatives", records)


def seeds_load(*, directory: Path, warnings: list[Problem] | None = None) -> dict[str, Tally]:
    """Load every seed file in `directory` in one transaction; raises SeedError on any problem.

    What is worth a look but loads all the same is added to `warnings`, when given.
    """
    loader = SeedLoader(directory)
    tallies = loader.load()
    bump_version()
    if warnings is not None:
        warnings.extend(loader.warnings)
    return tallies
