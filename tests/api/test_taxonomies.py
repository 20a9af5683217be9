"""/taxonomies and /taxonomy_terms: stable ids, terms, and filtering services by them."""

import uuid

import pytest

from initiatives.api.ids import ID_NAMESPACE

from ..factories import ConditionFactory, InitiativeFactory, VanguardSiteFactory
from .support import API, get_json, names

pytestmark = pytest.mark.django_db


def test_taxonomy_filters(client):
    rare = ConditionFactory(name="ALS", is_rare=True)
    InitiativeFactory(name="Has condition", conditions=[rare])
    InitiativeFactory(name="Campaign", role="campaigning")
    InitiativeFactory(name="Vanguard", vanguard=VanguardSiteFactory(care_model="ehch"))

    terms = get_json(client, f"{API}/taxonomy_terms?per_page=100")["contents"]
    by_name = {(term["taxonomy"], term["name"]): term["id"] for term in terms}
    taxonomies = {t["name"]: t["id"] for t in get_json(client, f"{API}/taxonomies")["contents"]}

    assert names(client, f"taxonomy_term_id={by_name['Conditions', 'ALS']}") == ["Has condition"]
    assert names(client, f"taxonomy_term_id={by_name['Role', 'Campaigning group']}") == ["Campaign"]
    care_home = by_name["Vanguard care models", "Enhanced health in care homes"]
    assert names(client, f"taxonomy_term_id={care_home}") == ["Vanguard"]
    assert names(client, f"taxonomy_id={taxonomies['Conditions']}") == ["Has condition"]
    assert names(client, f"taxonomy_id={taxonomies['Vanguard care models']}") == ["Vanguard"]
    assert len(names(client, f"taxonomy_id={taxonomies['Role']}")) == 3


def test_languages_are_a_taxonomy_of_what_was_recorded(client):
    InitiativeFactory(name="Bilingual", languages="English; Welsh")
    InitiativeFactory(name="Old", languages="Old English")
    InitiativeFactory(name="Unrecorded")
    terms = get_json(client, f"{API}/taxonomy_terms?per_page=100")["contents"]
    languages = {t["name"]: t["id"] for t in terms if t["taxonomy"] == "Languages"}
    assert sorted(languages) == ["English", "Old English", "Welsh"]
    # A whole item of the list: "English" is not found in "Old English".
    assert names(client, f"taxonomy_term_id={languages['English']}") == ["Bilingual"]
    assert names(client, f"taxonomy_term_id={languages['Old English']}") == ["Old"]
    taxonomies = {t["name"]: t["id"] for t in get_json(client, f"{API}/taxonomies")["contents"]}
    assert sorted(names(client, f"taxonomy_id={taxonomies['Languages']}")) == ["Bilingual", "Old"]


def test_taxonomy_ids_are_stable_uuid5_values(client):
    ConditionFactory(name="Asthma")
    taxonomies = get_json(client, f"{API}/taxonomies")["contents"]
    assert [t["name"] for t in taxonomies] == [
        "Role",
        "Topics",
        "Conditions",
        "Population groups",
        "Funding dependency",
        "Vanguard care models",
        "Languages",
    ]
    expected = str(uuid.uuid5(ID_NAMESPACE, "taxonomy/condition"))
    assert taxonomies[2]["id"] == expected
    conditions = get_json(client, f"{API}/taxonomies/{expected}")
    assert [(t["name"], t["term"]) for t in conditions["taxonomy_terms"]] == [("Asthma", "asthma")]
    assert conditions["taxonomy_terms"][0]["id"] == str(
        uuid.uuid5(ID_NAMESPACE, "condition/asthma")
    )
    assert conditions["taxonomy_terms"][0]["term_uri"] == (
        "http://testserver/initiatives/?condition=asthma"
    )
    only = get_json(client, f"{API}/taxonomy_terms?taxonomy_id={expected}")["contents"]
    assert [t["name"] for t in only] == ["Asthma"]
