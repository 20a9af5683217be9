"""A printed listing or area page carries, under each result, what someone about to go
needs (what it offers, who for, how to get in, opening times, contacts, address), in a
block hidden on screen; "Not recorded" where nobody recorded it; read in a fixed number
of queries however many results there are."""

import re
from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from initiatives.models import Contact, OpeningTime

from ..factories import AreaFactory, InitiativeFactory, PopulationGroupFactory, TopicFactory
from .support import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def halton():
    return AreaFactory(name="Halton", slug="halton", kind="local_authority")


@pytest.fixture
def full(halton):
    initiative = InitiativeFactory(
        name="Riverside walking group",
        slug="riverside-walking-group",
        areas=[halton],
        topics=[TopicFactory(name="Walking", slug="walking")],
        population_groups=[PopulationGroupFactory(name="Carers", slug="carers")],
        self_referral=True,
        self_referral_contact="Ring Sam",
        drop_in=False,
        opening_notes="Not on bank holidays.",
        phone="01928 000111",
        website="https://riverside.example.org",
        address="2 Mill Lane\nWidnes",
        postcode="WA8 7AA",
        last_verified_on=date(2026, 3, 4),
    )
    OpeningTime.objects.create(
        initiative=initiative, day="TU", opens_at=time(10), closes_at=time(16)
    )
    Contact.objects.create(initiative=initiative, name="Sam Jones", title="Coordinator")
    return initiative


@pytest.fixture
def bare(halton):
    return InitiativeFactory(
        name="Riverside quiet group",
        slug="riverside-quiet-group",
        areas=[halton],
        topics=[],
        website="",
        phone="",
        email="",
        address="",
        postcode="",
        last_verified_on=None,
    )


def printed(html: str, initiative) -> dict[str, str]:
    """The print-only facts under one result, by label."""
    start = html.index(f'id="initiative-{initiative.pk}"')
    block = html[html.index("result__print", start) :]
    block = block[: block.index("</dl>")]
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>\s*(.*?)\s*</dd></div>", block, re.S))
    url = re.search(r'<p class="result__url">([^<]+)</p>', block).group(1)
    return {"url": url, **facts}


@pytest.mark.parametrize("url", ["/initiatives/?q=riverside", "/areas/halton/"])
def test_each_result_prints_what_someone_about_to_go_needs(client, full, bare, url):
    html = text(client.get(url))
    facts = printed(html, full)
    assert facts["url"] == "http://testserver/initiatives/riverside-walking-group/"
    assert facts["What it offers"] == "Walking"
    assert facts["Who it is for"] == "Carers"
    assert "<strong>Self-referral</strong>: Ring Sam" in facts["How to get in"]
    assert "Drop-in: not offered" in facts["How to get in"]
    assert "Tuesday: 10:00 to 16:00" in facts["Opening times"]
    assert "Not on bank holidays." in facts["Opening times"]
    assert "01928 000111" in facts["Contact"]
    assert "https://riverside.example.org" in facts["Contact"]
    assert "Sam Jones (Coordinator)" in facts["Contact"]
    assert facts["Address"] == "2 Mill Lane<br>Widnes<br>WA8 7AA"
    # "Last checked" is in the result's own details, shown and printed once.
    assert "Last checked" not in facts
    result = html[html.index(f'id="initiative-{full.pk}"') :]
    assert "<dt>Last checked</dt><dd>4 March 2026</dd>" in result[: result.index("</li>")]


@pytest.mark.parametrize("url", ["/initiatives/?q=riverside", "/areas/halton/"])
def test_what_nobody_recorded_prints_as_not_recorded(client, full, bare, url):
    html = text(client.get(url))
    facts = printed(html, bare)
    assert facts["What it offers"] == "Not recorded"
    assert facts["Who it is for"] == "Not recorded"
    assert facts["How to get in"] == "Not recorded: contact them to ask"
    assert facts["Opening times"] == "Not recorded"
    assert facts["Contact"] == "No contact details recorded."
    assert facts["Address"] == "Not recorded"
    result = html[html.index(f'id="initiative-{bare.pk}"') :]
    assert "<dt>Last checked</dt><dd>Not yet checked</dd>" in result[: result.index("</li>")]


def test_the_print_block_is_hidden_on_screen(client, full):
    html = text(client.get("/initiatives/?q=riverside"))
    assert '<div class="print-only result__print">' in html
    css = (client.get("/static/css/site.css").getvalue()).decode()
    assert ".print-only { display: none; }" in css


@pytest.mark.parametrize("url", ["/initiatives/?topic=walking", "/areas/halton/?here=1"])
def test_printed_details_add_no_query_per_result(client, full, url):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(12):
        more = InitiativeFactory(
            name=f"Riverside extra {n:02d}",
            areas=full.areas.all(),
            topics=full.topics.all(),
            population_groups=full.population_groups.all(),
        )
        OpeningTime.objects.create(initiative=more, day="MO", opens_at=time(9), closes_at=time(12))
        Contact.objects.create(initiative=more, name=f"Contact {n}")
    assert queries() == few
