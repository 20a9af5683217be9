"""What serves a place, in tiers (here, covering, nation or UK-wide), on the shared
sample register: the area page and the postcode search give the same answer."""

import re

import pytest

from initiatives.models import Area, Initiative
from initiatives.querysets import TIER_COVERING, TIER_HERE, TIER_NATION
from initiatives.wording import reason_for

from ..factories import AreaFactory, InitiativeFactory, PostcodeFactory

pytestmark = pytest.mark.django_db

HALTON_OFFICES = ("WA8 7QF", "E06000006", 351233, 385402)


@pytest.fixture
def others(reg):
    """Initiatives of England only, of Wales only, national in Northern Ireland, and
    serving all four nations."""
    ni = AreaFactory(name="Northern Ireland", kind=Area.Kind.NATION, code="N92000002")
    scotland = AreaFactory(name="Scotland", kind=Area.Kind.NATION, code="S92000003")
    nations = [reg.areas["england"], reg.areas["wales"], scotland, ni]
    return {
        "england": InitiativeFactory(name="England Carers Line", areas=[reg.areas["england"]]),
        "wales": InitiativeFactory(name="Wales Only Walks", areas=[reg.areas["wales"]]),
        "ni": InitiativeFactory(name="Aware Ulster", national=True, areas=[ni]),
        "uk": InitiativeFactory(name="Four Nations Network", national=True, areas=nations),
        # Serves England only, but is based in Runcorn (Halton): here for Halton.
        "runcorn": InitiativeFactory(
            name="Runcorn Sewing Circle", areas=[reg.areas["england"]], located_in_town="Runcorn"
        ),
    }


def tiers_of(place_slug: str) -> dict[str, tuple[int, str]]:
    tree = Area.objects.tree()
    place = tree.place(tree.by_slug(place_slug).pk)
    return {
        row.name: (row.tier, reason_for(row))
        for row in Initiative.objects.published().serving(place)
    }


def test_each_initiative_is_in_one_tier_with_a_reason(reg, others):
    tiers = tiers_of("halton")
    assert tiers["Halton Ukulele Club"] == (TIER_HERE, "Serves Halton")
    assert tiers["North West Carers Voice"] == (
        TIER_COVERING,
        "Covers North West, which includes Halton",
    )
    assert tiers["England Carers Line"] == (TIER_NATION, "Serves everyone in England")
    assert tiers["Patient View Survey"] == (TIER_NATION, "Serves the whole UK")
    assert tiers["Four Nations Network"] == (TIER_NATION, "Serves the whole UK")
    assert tiers["Runcorn Sewing Circle"] == (
        TIER_HERE,
        "Based in Runcorn (approximate: town centre)",
    )


def test_other_nations_initiatives_never_serve_the_place(reg, others):
    tiers = tiers_of("halton")
    assert "Wales Only Walks" not in tiers
    assert "Aware Ulster" not in tiers
    assert "Oldham Arts on Prescription" not in tiers  # another district, same region
    assert "Wales Only Walks" in tiers_of("wrexham")


def test_a_nation_is_served_here_by_what_serves_it(reg, others):
    tiers = tiers_of("england")
    assert tiers["England Carers Line"][0] == TIER_HERE
    assert tiers["Halton Ukulele Club"] == (TIER_HERE, "Serves Halton")
    assert "Aware Ulster" not in tiers


def test_the_area_page_lists_the_tiers(client, reg, others):
    response = client.get("/areas/halton/")
    sections = {
        section["key"]: {i.name for i in section["page"]}
        for section in response.context["sections"]
    }
    tiers = tiers_of("halton")
    expected = {
        key: {name for name, (tier, _) in tiers.items() if tier == number}
        for key, number in (("here", TIER_HERE), ("wider", TIER_COVERING), ("national", 3))
    }
    assert sections == expected
    assert "England Carers Line" in sections["national"]
    assert "Serving everyone in England or the whole UK" in response.content.decode()


def test_a_postcode_search_gives_the_same_tiers_as_its_area(client, reg, others):
    PostcodeFactory(
        postcode=HALTON_OFFICES[0],
        local_authority_code=HALTON_OFFICES[1],
        easting=HALTON_OFFICES[2],
        northing=HALTON_OFFICES[3],
    )
    response = client.get("/initiatives/", {"postcode": "WA8 7QF"})
    rows = list(response.context["page"])
    # None of the sample records has a location, so the place's tiers are the whole answer.
    assert {row.name: row.tier for row in rows} == {
        name: tier for name, (tier, _) in tiers_of("halton").items()
    }
    assert [row.tier for row in rows] == sorted(row.tier for row in rows)
    why = {row.name: row.why_listed for row in rows}
    assert why["England Carers Line"] == "Serves everyone in England"
    assert "Aware Ulster" not in why


def test_the_listing_for_an_area_comes_tier_by_tier_with_reasons(client, reg, others):
    response = client.get("/initiatives/", {"area": "halton"})
    groups = response.context["tier_groups"]
    assert [g["heading"] for g in groups] == [
        "Serving Halton or a place within it",
        "Serving a wider area that includes Halton",
        "Serving everyone in England or the whole UK",
    ]
    tiers = tiers_of("halton")
    for group in groups:
        for row in group["rows"]:
            assert (row.tier, row.why_listed) == tiers[row.name]
        assert group["count"] == sum(1 for tier, _ in tiers.values() if tier == group["tier"])
    page = response.content.decode()
    assert "Covers North West, which includes Halton" in page
    assert "Wales Only Walks" not in page

    here = client.get(response.context["here_only_url"])
    assert {row.name for row in here.context["page"]} == {
        name for name, (tier, _) in tiers.items() if tier == TIER_HERE
    }
    assert here.context["tier_groups"] == []
    assert any(chip["label"] == "Here only" for chip in here.context["chips"])


def test_the_listing_the_area_page_and_the_csv_give_the_same_records(client, reg, others):
    import csv
    import io

    listing = client.get("/initiatives/", {"area": "halton"})
    listed = {row.name for row in listing.context["page"]}
    area_page = client.get("/areas/halton/")
    on_area_page = {i.name for s in area_page.context["sections"] for i in s["page"]}
    export = client.get("/initiatives/export.csv", {"area": "halton"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    exported = {row["Name"] for row in rows}
    api = client.get("/api/v1/services", {"area": "halton"}).json()
    from_api = {item["name"] for item in api["contents"]}
    assert listed == on_area_page == exported == from_api == set(tiers_of("halton"))
    # Located in Halton without serving it by area: here on every surface, insights too.
    assert "Runcorn Sewing Circle" in listed
    here = {row.name for row in listing.context["page"] if row.tier == TIER_HERE}
    here_on_area_page = {
        i.name for s in area_page.context["sections"] if s["key"] == "here" for i in s["page"]
    }
    exported_here = {row["Name"] for row in rows if row["Serves the place"] == "Here"}
    assert here == here_on_area_page == exported_here
    assert "Runcorn Sewing Circle" in here
    from initiatives.insights.page import Insights
    from initiatives.insights.scope import Scope

    assert Insights(Scope(area=reg.areas["halton"])).here.initiatives == len(here)


def test_the_csv_says_how_each_row_serves_the_place(client, reg, others):
    import csv
    import io

    export = client.get("/initiatives/export.csv", {"area": "halton"})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = {row["Name"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["Halton Ukulele Club"]["Serves the place"] == "Here"
    assert rows["Halton Ukulele Club"]["Why it is listed"] == "Serves Halton"
    assert rows["North West Carers Voice"]["Serves the place"] == "Covering"
    assert rows["England Carers Line"]["Why it is listed"] == "Serves everyone in England"
    assert rows["Patient View Survey"]["Serves the place"] == "Nation or UK-wide"
    # Without a place, the two columns are empty rather than guessed.
    plain = client.get("/initiatives/export.csv", {"q": "ukulele"})
    text = b"".join(plain.streaming_content).decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["Serves the place"] == row["Why it is listed"] == ""


def test_the_area_facet_and_the_areas_index_count_located_records_as_here(client, reg, others):
    """A record based in Runcorn (Halton) that serves no area of its own (as North Belfast
    Men's Shed is based in a district it does not name) counts for Halton's region in the
    area facet and on the areas index, as the region's page lists it."""
    shed = InitiativeFactory(name="Runcorn Men's Shed", located_in_town="Runcorn")
    region = client.get("/areas/north-west/")
    here_and_wider = {
        i.name
        for s in region.context["sections"]
        if s["key"] in ("here", "wider")
        for i in s["page"].paginator.object_list
    }
    assert {shed.name, "Runcorn Sewing Circle"} <= here_and_wider
    index = client.get("/areas/")
    counts = {
        child["area"].slug: child["count"]
        for node in index.context["tree"]
        for child in node["children"]
    }
    assert counts["north-west"] == len(here_and_wider)

    listing = client.get("/initiatives/")
    facet = {o.value: o.count for o in listing.context["facets"]["area"].options}
    # The facet counts what is here (the area or within it), as "Here only" lists it.
    filtered = client.get("/initiatives/", {"area": "north-west", "here_only": "true"})
    assert facet["north-west"] == filtered.context["count"]
    assert shed.name in {row.name for row in filtered.context["page"]}


def _halton_offices():
    return PostcodeFactory(
        postcode=HALTON_OFFICES[0],
        local_authority_code=HALTON_OFFICES[1],
        easting=HALTON_OFFICES[2],
        northing=HALTON_OFFICES[3],
    )


@pytest.mark.parametrize(
    ("params", "asked"), [({"postcode": "wa8 7qf"}, "WA8 7QF"), ({"place": "Runcorn"}, "Runcorn")]
)
def test_a_postcode_or_town_search_comes_under_tier_headings_with_counts(
    client, reg, others, params, asked
):
    _halton_offices()
    response = client.get("/initiatives/", params)
    groups = response.context["tier_groups"]
    tiers = tiers_of("halton")
    counts = {
        number: sum(1 for tier, _ in tiers.values() if tier == number)
        for number in (TIER_HERE, TIER_COVERING, TIER_NATION)
    }
    assert [(g["heading"], g["count"]) for g in groups] == [
        (f"Serving Halton or a place within it, or based within 10 km of {asked}", counts[1]),
        ("Serving a wider area that includes Halton", counts[2]),
        ("Serving everyone in England or the whole UK", counts[3]),
    ]
    for group in groups:
        assert {row.tier for row in group["rows"]} == {group["tier"]}
    page = response.content.decode()
    assert (
        f'Serving a wider area that includes Halton <span class="tiers__count">({counts[2]})'
        in page
    )

    # "Here only" narrows a postcode or town search to its first tier, as it does an area.
    here = client.get(response.context["here_only_url"])
    assert {row.name for row in here.context["page"]} == {
        name for name, (tier, _) in tiers.items() if tier == TIER_HERE
    }
    assert here.context["count"] == counts[TIER_HERE]
    assert any(chip["label"] == "Here only" for chip in here.context["chips"])
    # The facets count within the narrowed results.
    roles = {o.value: o.count for o in here.context["facets"]["role"].options}
    assert sum(roles.values()) == counts[TIER_HERE]


def test_a_filter_applies_within_the_tiers_of_a_postcode_search(client, reg, others):
    _halton_offices()
    everything = client.get("/initiatives/", {"postcode": "WA8 7QF"})
    counts = {g["tier"]: g["count"] for g in everything.context["tier_groups"]}
    facet = {o.value: o.count for o in everything.context["facets"]["role"].options}
    role = max(facet, key=facet.get)
    narrowed = client.get("/initiatives/", {"postcode": "WA8 7QF", "role": role})
    groups = narrowed.context["tier_groups"]
    assert sum(g["count"] for g in groups) == narrowed.context["count"] == facet[role]
    for group in groups:
        assert group["count"] <= counts[group["tier"]]
        assert all(row.role == role for row in group["rows"])


def test_the_listing_the_area_page_the_csv_and_the_api_agree_near_a_postcode(client, reg, others):
    """The four surfaces give the same records for a postcode as for its district."""
    import csv
    import io

    _halton_offices()
    params = {"postcode": "WA8 7QF", "distance_km": "5"}
    listing = client.get("/initiatives/", params)
    listed = {row.name for row in listing.context["page"]}
    area_page = client.get("/areas/halton/")
    on_area_page = {i.name for s in area_page.context["sections"] for i in s["page"]}
    export = client.get("/initiatives/export.csv", params)
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    exported = {row["Name"] for row in rows}
    api = client.get("/api/v1/services", {"postcode": "WA8 7QF", "proximity": "5000"})
    assert api.status_code == 200
    from_api = {item["name"] for item in api.json()["contents"]}
    assert listed == on_area_page == exported == from_api == set(tiers_of("halton"))
    here = {row.name for row in listing.context["page"] if row.tier == TIER_HERE}
    assert here == {row["Name"] for row in rows if row["Serves the place"] == "Here"}
    # And narrowed to what is here, on the listing and the CSV alike.
    only = {**params, "here_only": "true"}
    narrowed = {row.name for row in client.get("/initiatives/", only).context["page"]}
    export = client.get("/initiatives/export.csv", only)
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert narrowed == here == {row["Name"] for row in csv.DictReader(io.StringIO(text))}
    api = client.get(
        "/api/v1/services", {"postcode": "WA8 7QF", "proximity": "5000", "here_only": "true"}
    )
    assert {item["name"] for item in api.json()["contents"]} == here


def _names_everywhere(client, params: dict, api_params: dict) -> tuple[set, set, set]:
    """The names the listing (every page), the CSV and the API give for these params."""
    import csv
    import io

    listed: set[str] = set()
    number = 1
    while True:
        page = client.get("/initiatives/", {**params, "page": number}).context["page"]
        listed |= {row.name for row in page}
        if not page.has_next():
            break
        number += 1
    export = client.get("/initiatives/export.csv", params)
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    exported = {row["Name"] for row in csv.DictReader(io.StringIO(text))}
    api = client.get("/api/v1/services", {**api_params, "per_page": "100"})
    assert api.status_code == 200, api.content
    return listed, exported, {item["name"] for item in api.json()["contents"]}


@pytest.mark.parametrize("here_only", [{}, {"here_only": "true"}])
def test_the_listing_the_area_page_the_csv_and_the_api_agree_in_a_town_and_an_area(
    client, reg, others, here_only
):
    """A town's search and an area's, with and without "here only", give the same records
    on the listing, the CSV and the API; the area page's first section is "here"."""
    halton = set(tiers_of("halton"))
    here = {name for name, (tier, _) in tiers_of("halton").items() if tier == TIER_HERE}
    expected = here if here_only else halton
    for params in ({"place": "Runcorn"}, {"area": "halton"}):
        listed, exported, from_api = _names_everywhere(
            client, {**params, **here_only}, {**params, **here_only}
        )
        if "place" in params and not here_only:
            # A town adds what is based within the distance of it, here in Halton anyway.
            assert listed >= expected
        else:
            assert listed == expected
        assert listed == exported == from_api
    sections = client.get("/areas/halton/").context["sections"]
    on_area_page = {i.name for s in sections for i in s["page"]}
    assert on_area_page == halton
    assert {i.name for i in sections[0]["page"]} == here


@pytest.mark.parametrize(
    ("params", "wrong"),
    [
        ({"here_only": "yes", "area": "halton"}, "here_only"),
        ({"here_only": "true"}, "here_only"),
        ({"place": "Nowhere-on-Sea-ward"}, "place"),
        ({"proximity": "5000"}, "proximity"),
    ],
)
def test_the_api_refuses_a_bad_here_only_or_place_with_a_json_400(client, reg, params, wrong):
    response = client.get("/api/v1/services", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert wrong in response.json()["errors"]


def _tiers_listed(client, params) -> tuple[dict[int, int], dict[int, int]]:
    """Page by page: how many results each tier lists, and the count its heading gives."""
    listed: dict[int, int] = {}
    headed: dict[int, int] = {}
    number = 1
    while True:
        response = client.get("/initiatives/", {**params, "page": number})
        for row in response.context["page"]:
            listed[row.tier] = listed.get(row.tier, 0) + 1
        for group in response.context["tier_groups"]:
            assert headed.setdefault(group["tier"], group["count"]) == group["count"]
        if not response.context["page"].has_next():
            return listed, headed
        number += 1


@pytest.mark.parametrize(
    "place", [{"postcode": "WA8 7QF"}, {"place": "Runcorn"}, {"area": "halton"}]
)
@pytest.mark.parametrize(
    "narrowed", [{}, {"role": "provider"}, {"q": "support"}, {"include_ended": "1"}]
)
def test_each_tier_heading_counts_the_results_listed_under_it(
    client, reg, others, place, narrowed, django_assert_max_num_queries
):
    """The tiers' counts come from the statement that counts the facets; each equals
    the number of results the pages list in that tier, with other filters too."""
    _halton_offices()
    InitiativeFactory(name="Halton Hearing Loops", areas=[reg.areas["halton"]], role="provider")
    params = {**place, **narrowed}
    with django_assert_max_num_queries(23):
        response = client.get("/initiatives/", params)
    assert response.context["tier_groups"]
    listed, headed = _tiers_listed(client, params)
    assert listed == headed
    assert sum(listed.values()) == response.context["count"]


def test_a_place_with_nothing_here_says_so_above_what_covers_it(client, reg, others):
    """Nothing serves Knowsley itself: the page says so before the "covering" heading,
    rather than let the wider area's records pass for the place's own."""
    AreaFactory(
        name="Knowsley",
        slug="knowsley",
        kind=Area.Kind.LOCAL_AUTHORITY,
        parent=reg.areas["cheshire-merseyside"],
        code="E08000011",
    )
    PostcodeFactory(
        postcode="L36 9YU", local_authority_code="E08000011", easting=344000, northing=392000
    )
    response = client.get("/initiatives/", {"area": "knowsley"})
    page = response.content.decode()
    words = "Nothing is recorded as based in or serving only Knowsley yet. Below: what covers it."
    assert words in page
    assert page.index(words) < page.index("Serving a wider area that includes Knowsley")
    assert "Show only what is based in or serves Knowsley itself" not in page

    near = client.get("/initiatives/", {"postcode": "L36 9YU", "distance_km": "1"}).content
    assert (
        "Nothing is recorded as based in or serving only Knowsley, or based within 1 km of "
        "L36 9YU, yet. Below: what covers it."
    ) in near.decode()

    # With another filter, the words say that the filters leave nothing here.
    filtered = client.get("/initiatives/", {"area": "knowsley", "q": "carers"})
    assert "England Carers Line" in {row.name for row in filtered.context["page"]}
    assert (
        "Nothing based in or serving only Knowsley matches the other filters. "
        "Below: what covers it."
    ) in filtered.content.decode()

    # A place with nothing covering it short of its nation says what the next heading
    # shows, not "what covers it".
    AreaFactory(
        name="Lonely Isle",
        slug="lonely-isle",
        kind=Area.Kind.LOCAL_AUTHORITY,
        parent=reg.areas["england"],
        code="E06000999",
    )
    lonely = client.get("/initiatives/", {"area": "lonely-isle"}).content.decode()
    assert (
        "Nothing is recorded as based in or serving only Lonely Isle yet. "
        "Below: what serves everyone in England or the whole UK."
    ) in lonely
    assert "Serving a wider area that includes Lonely Isle" not in lonely

    # A place with something here shows no such words.
    assert (
        "Nothing is recorded"
        not in client.get("/initiatives/", {"area": "halton"}).content.decode()
    )


def test_the_covering_tier_leaves_here_out_by_not_exists(reg, others):
    """What covers a place leaves out what is here by NOT EXISTS the row's entry in
    the area closure: NOT IN the area's ids is a subplan whose
    rows PostgreSQL guesses at half the register, and it then read every published row
    (0.36 s for a district's covering tier at a million records, where this is 0.03 s).
    The same rows either way."""
    place = Area.objects.tree().place(reg.areas["halton"].pk)
    published = Initiative.objects.published().current()
    sql, _ = published.in_tier(place, TIER_COVERING).query.sql_with_params()
    assert "NOT EXISTS" in sql.upper()
    assert not re.search(r'NOT \("initiatives_initiative"\."id" IN \(SELECT', sql), sql
    linked = published.filter(areas__in=[area.pk for area in place.covering]).distinct()
    here = published.in_tier(place, TIER_HERE)
    assert set(published.in_tier(place, TIER_COVERING)) == set(linked) - set(here)
    assert set(published.in_tier(place, TIER_COVERING))


def test_each_tier_in_parts_holds_its_rows_once(reg, others):
    """For every area and tier, the parts a tier is counted in (the nation tier: what is
    linked to the nation, and the UK-wide records tied to no area) share no row, and
    together hold the tier's rows; as do the area page's counts and the insights'."""
    InitiativeFactory(name="UK-wide, tied to nothing", national=True, areas=[])
    InitiativeFactory(
        name="UK-wide, based in Runcorn", national=True, areas=[], located_in_town="Runcorn"
    )
    InitiativeFactory(name="UK-wide, ended", national=True, areas=[], lifecycle="ended")
    tree = Area.objects.tree()
    published = Initiative.objects.published().current()
    for area in Area.objects.all():
        place = tree.place(area.pk)
        for tier in (TIER_HERE, TIER_COVERING, TIER_NATION):
            whole = set(published.in_tier(place, tier).values_list("pk", flat=True))
            parts = [
                set(part.values_list("pk", flat=True))
                for part in published.in_tier_parts(place, tier)
            ]
            assert sum(len(part) for part in parts) == len(whole), (area.slug, tier)
            assert set().union(*parts) == whole, (area.slug, tier)
    halton = tree.place(reg.areas["halton"].pk)
    national = set(published.in_tier(halton, TIER_NATION).values_list("name", flat=True))
    assert "UK-wide, tied to nothing" in national
    assert "UK-wide, based in Runcorn" not in national  # here: based in Halton
    assert "UK-wide, ended" not in national
