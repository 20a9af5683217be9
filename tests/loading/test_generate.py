from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum

from initiatives.models import (
    Area,
    FundingLine,
    Initiative,
    Organisation,
    Topic,
)
from initiatives.validators import validate_postcode

from ..factories import AreaFactory, InitiativeFactory

pytestmark = pytest.mark.django_db


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_initiatives", *args, stdout=out)
    return out.getvalue()


def generated_initiatives():
    return Initiative.objects.filter(slug__startswith="gen-").order_by("slug")


def snapshot() -> list[tuple]:
    return [
        *generated_initiatives().values_list("slug", "name", "uuid", "organisation__uuid"),
        *Organisation.objects.filter(slug__startswith="gen-")
        .order_by("slug")
        .values_list("slug", "name", "uuid", "funding_dependency"),
    ]


def test_same_seed_gives_the_same_records_and_replace_reruns():
    output = generate("--count", "50", "--seed", "1")
    assert "Generated 50 initiatives (seed 1) in" in output
    assert generated_initiatives().count() == 50
    first = snapshot()

    generate("--count", "50", "--seed", "1", "--replace")
    assert snapshot() == first
    assert generated_initiatives().count() == 50

    generate("--count", "50", "--seed", "2")
    assert generated_initiatives().count() == 100
    seed_1 = {row[2] for row in first}
    seed_2 = set(
        Initiative.objects.filter(slug__startswith="gen-2-").values_list("uuid", flat=True)
    )
    assert len(seed_2) == 50
    assert not seed_1 & seed_2


def test_same_seed_twice_without_replace_is_refused():
    generate("--count", "5", "--seed", "7")
    with pytest.raises(CommandError, match="pass --replace|Pass --replace"):
        generate("--count", "5", "--seed", "7")
    assert generated_initiatives().count() == 5


@pytest.mark.parametrize("args", [["--count", "0"], ["--count", "many"], ["--seed", "-1"]])
def test_bad_arguments_are_refused_with_a_message(args):
    with pytest.raises(CommandError, match="must be"):
        generate(*args)


def test_replace_keeps_records_that_were_not_generated():
    kept = InitiativeFactory(name="KeyRing network, Wrexham")
    generate("--count", "10", "--seed", "3")
    output = generate("--count", "10", "--seed", "4", "--replace")
    assert "Removed" in output
    assert Initiative.objects.filter(pk=kept.pk).exists()
    assert generated_initiatives().count() == 10
    assert not Initiative.objects.filter(slug__startswith="gen-3-").exists()
    # Removing synthetic records does not fill the curators' history.
    assert not Initiative.history.filter(slug__startswith="gen-").exists()


def test_generated_records_pass_validation():
    generate("--count", "60", "--seed", "1")
    connection.check_constraints()  # the links were written before their initiatives
    initiatives = list(generated_initiatives().select_related("organisation"))
    for initiative in initiatives[::3]:
        initiative.full_clean()
    for organisation in Organisation.objects.filter(slug__startswith="gen-")[::3]:
        organisation.full_clean()
    for line in FundingLine.objects.filter(organisation__slug__startswith="gen-")[::5]:
        line.full_clean()
    for initiative in initiatives:
        if initiative.postcode:
            validate_postcode(initiative.postcode)
        assert len(initiative.summary) <= 300
        assert initiative.description.count(". ") >= 2
        assert initiative.national or initiative.areas.exists()


def test_funding_figures_match_the_funding_lines():
    generate("--count", "90", "--seed", "5")
    organisations = Organisation.objects.filter(slug__startswith="gen-")
    assert organisations.count() >= 15
    for organisation in organisations:
        expected = organisation.funding_figures()
        stored = {key: getattr(organisation, key) for key in expected}
        assert stored == expected, organisation.name
        for initiative in organisation.initiatives.all():
            assert initiative.funding_dependency == expected["funding_dependency"]
            assert initiative.largest_funder_share == expected["largest_funder_share"]
            assert initiative.nhs_share == expected["nhs_share"]
    totals = FundingLine.objects.values("organisation", "year").annotate(total=Sum("share"))
    assert max(row["total"] for row in totals) <= 100
    lines_per_year = Counter(
        (line.organisation_id, line.year) for line in FundingLine.objects.all()
    )
    assert set(lines_per_year.values()) <= {1, 2, 3, 4, 5}


def test_mix_of_roles_statuses_and_places():
    generate("--count", "300", "--seed", "11")
    initiatives = generated_initiatives()
    roles = Counter(initiatives.values_list("role", flat=True))
    # About a quarter deliver services; most campaign or do both.
    assert 0.15 < roles[Initiative.Role.SERVICE_PROVIDER] / 300 < 0.35
    assert roles[Initiative.Role.CAMPAIGNING] + roles[Initiative.Role.BOTH] > 150
    statuses = Counter(initiatives.values_list("status", flat=True))
    assert statuses[Initiative.Status.PUBLISHED] > 200
    assert 0 < initiatives.filter(national=True).count() < 40
    assert initiatives.filter(conditions__is_rare=True).exists()
    assert initiatives.filter(vanguard__isnull=False).exists()
    assert Organisation.objects.filter(slug__startswith="gen-").count() in range(70, 130)


def test_uses_existing_areas_and_creates_fallback_vocabularies_only_when_empty():
    icb = AreaFactory(name="NHS Cheshire and Merseyside Integrated Care Board", kind="icb")
    halton = AreaFactory(name="Halton", parent=icb)
    Topic.objects.create(name="Arts and health")
    output = generate("--count", "40", "--seed", "2")
    assert "fallback areas" not in output
    assert "fallback topics" not in output
    assert "fallback conditions" in output
    assert Area.objects.count() == 2
    assert Topic.objects.count() == 1
    served = set(
        Area.objects.filter(initiatives__slug__startswith="gen-").values_list("pk", flat=True)
    )
    assert served <= {icb.pk, halton.pk}
    assert generated_initiatives().filter(name__startswith="Halton ").exists()


def test_generated_records_are_found_by_search():
    generate("--count", "30", "--seed", "1")
    initiative = generated_initiatives().published().first()
    found = Initiative.objects.published().search(initiative.name)
    assert initiative in found


def test_replace_removes_every_generated_record_a_chunk_at_a_time(monkeypatch):
    from initiatives.loading import generation

    generate("--count", "45", "--seed", "1")
    monkeypatch.setattr(generation, "DELETE_CHUNK", 10)
    kept = InitiativeFactory(slug="not-generated")
    output = generate("--count", "5", "--seed", "2", "--replace")
    assert "Removed " in output
    assert generated_initiatives().count() == 5
    assert not Initiative.objects.filter(slug__startswith="gen-1-").exists()
    assert not Organisation.objects.filter(slug__startswith="gen-1-").exists()
    assert Initiative.objects.filter(pk=kept.pk).exists()
