"""The area closure table (initiatives.services.closure) equals a fresh walk of the area
tree after every kind of write: an initiative's links, the district it is located in,
areas moving, other parents, deletions, the CSV import, the seed loader, generated
records, a postcode import and the migrations. The facet tally, which counts the areas
from the closure and follows its syncs, equals a fresh count after each of them too."""

import csv
import importlib
import io
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from initiatives.exports import HEADERS, export_lines
from initiatives.loading.imports import import_initiatives
from initiatives.models import Area, Initiative, InitiativeAreaClosure
from initiatives.services.closure import closure_deferred, closure_sync
from initiatives.services.locations import initiatives_locate

from ..factories import AreaFactory, InitiativeFactory, PostcodeFactory
from ..loading.seeding import load
from .tally_support import assert_tally_in_step

pytestmark = pytest.mark.django_db


def fresh() -> set[tuple[int, int]]:
    """(initiative, area) for every service area and located district and every area
    above them, walked afresh from the areas' parents and other parents (each area
    visited once)."""
    parents: dict[int, set[int]] = {}
    for pk, parent in Area.objects.values_list("pk", "parent_id"):
        parents.setdefault(pk, set()).update([parent] if parent else [])
    for child, parent in Area.other_parents.through.objects.values_list(
        "from_area_id", "to_area_id"
    ):
        parents[child].add(parent)
    rows = set()
    sources = list(Initiative.areas.through.objects.values_list("initiative_id", "area_id"))
    sources += Initiative.objects.filter(location_district__isnull=False).values_list(
        "pk", "location_district_id"
    )
    for initiative, area in sources:
        seen, stack = {area}, [area]
        while stack:
            for up in parents.get(stack.pop(), ()):
                if up not in seen:
                    seen.add(up)
                    stack.append(up)
        rows |= {(initiative, up) for up in seen}
    return rows


def stored() -> set[tuple[int, int]]:
    return set(InitiativeAreaClosure.objects.values_list("initiative_id", "area_id"))


def assert_in_step(*, tally: bool = True):
    """The closure equals a fresh walk; with `tally`, so does the facet tally, which
    counts the areas from the closure and follows its syncs."""
    expected = fresh()
    assert stored() == expected
    assert InitiativeAreaClosure.objects.count() == len(expected)  # no duplicates
    if tally:
        assert_tally_in_step()


@pytest.fixture
def tree():
    england = AreaFactory(name="England", kind="nation")
    north_west = AreaFactory(name="North West", kind="nhs_region", parent=england)
    midlands = AreaFactory(name="Midlands", kind="nhs_region", parent=england)
    cheshire = AreaFactory(name="Cheshire and Merseyside", kind="icb", parent=north_west)
    derby = AreaFactory(name="Derby and Derbyshire", kind="icb", parent=midlands)
    halton = AreaFactory(name="Halton", kind="local_authority", parent=cheshire, code="E06000006")
    erewash = AreaFactory(name="Erewash", kind="local_authority", parent=derby, code="E07000036")
    wales = AreaFactory(name="Wales", kind="nation")
    return SimpleNamespace(**locals())


def test_links_changed_from_the_initiative(tree):
    keyring = InitiativeFactory(areas=[tree.halton])
    assert_in_step()
    assert {a for i, a in stored()} == {
        tree.halton.pk,
        tree.cheshire.pk,
        tree.north_west.pk,
        tree.england.pk,
    }
    keyring.areas.add(tree.erewash, tree.wales)
    assert_in_step()
    keyring.areas.remove(tree.halton)
    assert_in_step()
    assert (keyring.pk, tree.north_west.pk) not in stored()
    keyring.areas.set([tree.derby])
    assert_in_step()
    keyring.areas.clear()
    assert stored() == set()


def test_the_located_district_counts_as_here(tree):
    """A record based in Runcorn (Halton) without serving Halton is "here" for Halton and
    every area above it, and moves with its town."""
    shed = InitiativeFactory(areas=[tree.wales], located_in_town="Runcorn")
    assert shed.location_district == tree.halton
    assert_in_step()
    assert (shed.pk, tree.cheshire.pk) in stored()
    shed.located_in_town = "Ilkeston"  # Erewash
    shed.save()
    assert_in_step()
    assert (shed.pk, tree.halton.pk) not in stored()
    assert (shed.pk, tree.derby.pk) in stored()
    reloaded = Initiative.objects.get(pk=shed.pk)
    reloaded.located_in_town = ""
    reloaded.save()
    assert_in_step()
    assert {a for i, a in stored() if i == shed.pk} == {tree.wales.pk}
    reloaded.name = "Renamed only"
    reloaded.save()
    assert_in_step()


def test_a_postcode_import_places_records_in_the_closure(tree):
    shed = InitiativeFactory(postcode="WA7 1AB")
    assert shed.location_district is None
    assert stored() == set()
    PostcodeFactory(postcode="WA7 1AB", local_authority_code="E06000006")
    assert initiatives_locate() == 1
    assert_in_step()
    assert (shed.pk, tree.north_west.pk) in stored()


def test_an_area_moving_to_another_parent_moves_what_lies_within_it(tree):
    InitiativeFactory(areas=[tree.halton])
    InitiativeFactory(areas=[tree.cheshire])
    tree.cheshire.parent = tree.midlands
    tree.cheshire.save()
    assert_in_step()
    assert not any(area == tree.north_west.pk for _, area in stored())
    tree.cheshire.name = "Renamed only"
    tree.cheshire.save()
    assert_in_step()


def test_other_parents_from_either_side(tree):
    InitiativeFactory(areas=[tree.erewash])
    tree.erewash.other_parents.add(tree.cheshire)
    assert_in_step()
    assert any(area == tree.north_west.pk for _, area in stored())
    tree.erewash.other_parents.remove(tree.cheshire)
    assert_in_step()
    tree.cheshire.shared_children.add(tree.erewash)
    assert_in_step()
    tree.cheshire.shared_children.remove(tree.erewash)
    assert_in_step()
    tree.erewash.other_parents.add(tree.cheshire)
    tree.cheshire.shared_children.clear()
    assert_in_step()
    tree.erewash.other_parents.add(tree.cheshire)
    tree.erewash.other_parents.clear()
    assert_in_step()


def test_an_area_moving_moves_the_records_located_in_it(tree):
    shed = InitiativeFactory(located_in_town="Runcorn")
    tree.halton.parent = tree.derby
    tree.halton.save()
    assert_in_step()
    assert (shed.pk, tree.midlands.pk) in stored()


def test_deletions(tree):
    gone = InitiativeFactory(areas=[tree.halton])
    kept = InitiativeFactory(areas=[tree.halton, tree.erewash])
    gone.delete()
    assert_in_step()
    tree.halton.delete()  # a district with no areas below it
    assert_in_step()
    assert {area for _, area in stored()} == {
        tree.erewash.pk,
        tree.derby.pk,
        tree.midlands.pk,
        tree.england.pk,
    }
    assert {i for i, _ in stored()} == {kept.pk}


def test_deferred_syncs_run_once_at_the_end(tree):
    initiative = InitiativeFactory()
    with closure_deferred():
        initiative.areas.add(tree.halton)
        assert stored() == set()  # held back
    assert_in_step()


def test_a_sync_repairs_whatever_was_written_behind_its_back(tree):
    initiative = InitiativeFactory(areas=[tree.halton])
    InitiativeAreaClosure.objects.filter(area=tree.england).delete()
    InitiativeAreaClosure.objects.create(initiative=initiative, area=tree.wales)
    closure_sync()
    assert_in_step()


def test_the_csv_import_keeps_it(tree):
    initiative = InitiativeFactory(name="KeyRing", areas=[tree.halton])
    exported = "".join(
        export_lines(Initiative.objects.all().for_export(), base_url="https://example.org")
    )
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    rows[0]["Areas served"] = "Erewash"
    rows[0]["Area codes"] = "E07000036"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADERS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    result = import_initiatives(out.getvalue().encode(), filename="edited.csv")
    assert result.updated == 1
    assert_in_step()
    assert (initiative.pk, tree.derby.pk) in stored()
    assert (initiative.pk, tree.cheshire.pk) not in stored()


def test_the_seed_loader_keeps_it():
    load()
    assert Initiative.areas.through.objects.exists()
    assert_in_step()


def test_generated_records_come_with_their_rows(tree):
    call_command("generate_initiatives", "--count", "60", "--seed", "3", stdout=io.StringIO())
    assert stored()
    assert_in_step()
    call_command(
        "generate_initiatives", "--count", "20", "--seed", "3", "--replace", stdout=io.StringIO()
    )
    assert_in_step()


def test_the_migration_fills_it_for_the_records_already_there(tree):
    InitiativeFactory(areas=[tree.halton, tree.erewash])
    InitiativeFactory(areas=[tree.wales])
    tree.erewash.other_parents.add(tree.cheshire)
    InitiativeAreaClosure.objects.all().delete()
    migration = importlib.import_module("initiatives.migrations.0013_area_closure")
    migration.fill_closure(apps, SimpleNamespace(connection=connection))
    assert_in_step(tally=False)  # refilled behind the tally's back, by the migration


def test_the_migration_adds_the_located_records_already_there(tree):
    InitiativeFactory(areas=[tree.erewash], located_in_town="Runcorn")
    InitiativeFactory(located_in_town="Widnes")
    InitiativeFactory(areas=[tree.wales])
    InitiativeAreaClosure.objects.all().delete()
    apps_ = SimpleNamespace(connection=connection)
    importlib.import_module("initiatives.migrations.0013_area_closure").fill_closure(apps, apps_)
    importlib.import_module("initiatives.migrations.0018_area_closure_located").fill_located(
        apps, apps_
    )
    assert_in_step(tally=False)  # refilled behind the tally's back, by the migration
