"""The shortlist: kept in the session without an account, added to from any result or
initiative page (a form post, or fetch with JavaScript), reordered, with a note that
never leaves the session; shared as a signed link, by email, QR code and text; and
never a stale page from a browser's cache after it changes."""

import re
from html import unescape
from urllib.parse import unquote

import pytest
from django.test import Client

from initiatives import caching
from initiatives.models import Initiative
from initiatives.shortlist import store, tokens

from ..factories import AreaFactory, InitiativeFactory, TopicFactory

pytestmark = pytest.mark.django_db

LIST = "/initiatives/?q=allotments"
JSON = {"accept": "application/json"}


@pytest.fixture
def three():
    halton = AreaFactory(name="Halton", slug="halton", kind="local_authority")
    growing = TopicFactory(name="Growing food", slug="growing-food")
    return [
        InitiativeFactory(
            name=f"Halton allotments {n}",
            slug=f"halton-allotments-{n}",
            summary="Allotments for health.",
            areas=[halton],
            topics=[growing],
            phone="01928 000 00" + str(n),
            website=f"https://allotments-{n}.example.org",
        )
        for n in range(3)
    ]


def page(client, url="/shortlist/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.content.decode())


def add(client, *initiatives, **headers):
    return client.post(
        "/shortlist/add/", {"id": [str(i.pk) for i in initiatives], "next": LIST}, headers=headers
    )


def names_in_order(html: str) -> list[str]:
    return re.findall(r'class="entry__title"><a href="[^"]+">([^<]+)</a>', html)


def test_add_from_a_result_without_javascript_comes_back_to_that_result(client, three):
    response = add(client, three[1])
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}"
    listing = page(client, LIST)
    assert "Shortlist (<span data-shortlist-count>1</span>)" in listing
    assert listing.count("Remove from shortlist") == 1
    assert listing.count("Add to shortlist") == 2
    assert names_in_order(page(client)) == ["Halton allotments 1"]


def test_the_add_buttons_come_back_to_their_own_result(client, three):
    listing = page(client, LIST)
    for initiative in three:
        assert f'id="initiative-{initiative.pk}"' in listing
        assert f'value="{LIST}#initiative-{initiative.pk}"' in listing
    detail = page(client, three[0].get_absolute_url())
    assert 'Add to shortlist</span><span class="visually-hidden">: Halton allotments 0' in detail


def test_every_result_of_an_area_page_can_be_added_and_comes_back_to_it(client, three):
    area_page = "/areas/halton/?here=1"
    html = page(client, area_page)
    for initiative in three:
        assert f'value="{area_page}#initiative-{initiative.pk}"' in html
    assert html.count("Add to shortlist</span>: Halton allotments") == 3
    response = client.post("/shortlist/add/", {"id": three[2].pk, "next": f"{area_page}#x"})
    assert response.status_code == 302
    assert response["Location"] == f"{area_page}#x"
    html = page(client, area_page)
    assert "Remove from shortlist</span>: Halton allotments 2" in html
    assert html.count("Add to shortlist</span>: Halton allotments") == 2
    assert 'data-on-list="true"' in html


def test_with_javascript_add_and_remove_answer_with_the_count(client, three):
    first = add(client, three[0], **JSON).json()
    assert first["count"] == 1
    assert first["ids"] == [three[0].pk]
    assert "Added Halton allotments 0 to your shortlist (1 initiative)" in first["message"]
    second = add(client, three[2], **JSON).json()
    assert second["ids"] == [three[0].pk, three[2].pk]
    again = add(client, three[2], **JSON).json()
    assert again["count"] == 2
    assert "Already on your shortlist" in again["message"]
    removed = client.post("/shortlist/remove/", {"id": three[0].pk}, headers=JSON).json()
    assert removed["ids"] == [three[2].pk]
    assert "1 initiative left" in removed["message"]


def test_remove_without_javascript_goes_back(client, three):
    add(client, *three)
    response = client.post("/shortlist/remove/", {"id": three[1].pk, "next": "/shortlist/"})
    assert response.status_code == 302
    assert names_in_order(page(client)) == ["Halton allotments 0", "Halton allotments 2"]


def test_reorder_with_up_and_down(client, three):
    add(client, *three)
    client.post("/shortlist/edit/", {"action": "up", "id": three[2].pk})
    assert names_in_order(page(client)) == [
        "Halton allotments 0",
        "Halton allotments 2",
        "Halton allotments 1",
    ]
    response = client.post("/shortlist/edit/", {"action": "down", "id": three[0].pk})
    assert response["Location"] == f"/shortlist/#item-{three[0].pk}"
    assert names_in_order(page(client))[0] == "Halton allotments 2"
    # At the ends nothing moves, and nonsense changes nothing.
    client.post("/shortlist/edit/", {"action": "up", "id": three[2].pk})
    client.post("/shortlist/edit/", {"action": "sideways", "id": "abc"})
    html = page(client)
    assert names_in_order(html)[0] == "Halton allotments 2"
    assert "That change was not understood, so nothing was changed." in html


def test_a_private_note_stays_in_the_session_and_out_of_every_share(client, three):
    add(client, *three[:2])
    secret = "Mrs Example: try the Tuesday group first"
    client.post("/shortlist/edit/", {"action": "note", "note": secret})
    html = page(client)
    assert secret in html
    assert secret in page(client, "/shortlist/print/")
    share_text = re.search(r'<textarea id="share-text"[^>]*>(.*?)</textarea>', html, re.S)[1]
    assert "Halton allotments 0" in share_text and "Phone: 01928 000000" in share_text
    assert "Mrs Example" not in share_text
    mailto = re.search(r'href="(mailto:[^"]+)"', html)[1]
    assert "Halton allotments 1" in unquote(mailto)
    assert "Mrs Example" not in unquote(mailto)
    token = re.search(r"/s/([^/\"]+)/qr\.svg", html)[1]
    assert "Mrs Example" not in page(client, f"/s/{token}")
    assert not any(
        "Mrs Example" in str(value) for value in Initiative.objects.values_list("description")
    )
    # A fresh browser (another session) sees nothing of it.
    assert "Mrs Example" not in page(Client())


def test_clearing_empties_the_list_and_the_note(client, three):
    add(client, three[0])
    client.post("/shortlist/edit/", {"action": "note", "note": "hello"})
    client.post("/shortlist/edit/", {"action": "clear"})
    html = page(client)
    assert "Your shortlist is empty" in html
    assert "hello" not in html
    assert "Shortlist (<span data-shortlist-count>0</span>)" in page(client, LIST)


def test_the_note_is_cut_to_its_limit(client, three):
    add(client, three[0])
    client.post("/shortlist/edit/", {"action": "note", "note": "x" * (store.MAX_NOTE + 50)})
    html = page(client)
    assert "x" * store.MAX_NOTE in html
    assert "x" * (store.MAX_NOTE + 1) not in html
    assert f"cut to its first {store.MAX_NOTE} characters" in html


def test_another_site_cannot_add_or_remove(client, three):
    refused = add(client, three[0], **{"sec-fetch-site": "cross-site"})
    assert refused.status_code == 403
    assert "came from another site" in refused.content.decode()
    assert add(client, three[0], origin="https://elsewhere.example").status_code == 403
    assert add(client, three[0], origin="null").status_code == 403
    assert "Shortlist (<span data-shortlist-count>0</span>)" in page(client, LIST)
    assert add(client, three[0], **{"sec-fetch-site": "same-origin"}).status_code == 302
    assert add(client, three[1], origin="http://testserver").status_code == 302
    assert len(names_in_order(page(client))) == 2


def test_the_list_pages_own_changes_need_the_csrf_token():
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/shortlist/edit/", {"action": "clear"}).status_code == 403


def test_next_must_be_this_site(client, three):
    response = client.post(
        "/shortlist/add/", {"id": three[0].pk, "next": "https://elsewhere.example/"}
    )
    assert response["Location"] == "/shortlist/"


def test_get_is_not_a_change(client, three):
    assert client.get(f"/shortlist/add/?id={three[0].pk}").status_code == 405
    assert "Your shortlist is empty" in page(client)


# Bad input


def test_five_hundred_ids_with_archived_unknown_and_nonsense_keep_the_valid_ones(client):
    published = [InitiativeFactory(name=f"Group {n:03d}") for n in range(60)]
    archived = InitiativeFactory(name="Archived group", status=Initiative.Status.ARCHIVED)
    draft = InitiativeFactory(name="Draft group", status=Initiative.Status.DRAFT)
    unknown = max(i.pk for i in published) + 10_000
    ids = [str(archived.pk), str(draft.pk), str(unknown), "abc", "-3", "0"]
    ids += [str(i.pk) for i in published]
    ids += [str(unknown + n) for n in range(1, 500 - len(ids) + 1)]
    assert len(ids) == 500
    response = client.post("/shortlist/add/", {"id": ids})
    assert response.status_code == 302
    assert response["Location"] == "/shortlist/"
    html = page(client)
    shown = names_in_order(html)
    assert shown == [f"Group {n:03d}" for n in range(store.MAX_ITEMS)]
    assert "Archived group" not in html and "Draft group" not in html
    assert "are not on the register" in html
    assert f"holds at most {store.MAX_ITEMS}" in html


def test_a_full_list_says_so(client):
    many = [InitiativeFactory() for _ in range(store.MAX_ITEMS + 1)]
    client.post("/shortlist/add/", {"id": [i.pk for i in many[:-1]]})
    answer = client.post("/shortlist/add/", {"id": many[-1].pk}, headers=JSON).json()
    assert answer["count"] == store.MAX_ITEMS
    assert "Your shortlist is full" in answer["message"]


def test_a_record_archived_after_it_was_added_leaves_the_list_with_a_note(client, three):
    add(client, *three)
    three[1].status = Initiative.Status.ARCHIVED
    three[1].save()
    html = page(client)
    assert names_in_order(html) == ["Halton allotments 0", "Halton allotments 2"]
    assert "1 initiative on your shortlist is no longer on the register" in html
    assert "no longer on the register" not in page(client)  # said once


def test_a_tampered_session_value_is_an_empty_list(client, three):
    session = client.session
    session[store.SESSION_KEY] = {"ids": ["x", None, True, three[0].pk], "note": 5}
    session.save()
    assert names_in_order(page(client)) == ["Halton allotments 0"]


# Sharing


def share_token(client) -> str:
    return re.search(r"/s/([^/\"]+)/qr\.svg", page(client))[1]


def test_a_share_link_shows_the_list_read_only_in_a_fresh_browser(client, three):
    add(client, three[2], three[0])
    token = share_token(client)
    assert len(token) < 80
    fresh = Client()
    html = page(fresh, f"/s/{token}")
    assert names_in_order(html) == ["Halton allotments 2", "Halton allotments 0"]
    assert "Move up" not in html and "Remove from shortlist" not in html
    # Adding them makes them the fresh browser's own shortlist.
    fresh.post("/shortlist/add/", {"id": f"{three[2].pk},{three[0].pk}"})
    assert names_in_order(page(fresh)) == ["Halton allotments 2", "Halton allotments 0"]


def test_a_tampered_token_is_not_found(client, three):
    token = tokens.make([three[0].pk])
    payload, rest = token.split(":", 1)
    for bad in [payload + "x:" + rest, token[:-2], "nonsense", "1:2:3"]:
        assert client.get(f"/s/{bad}").status_code == 404
        assert client.get(f"/s/{bad}/qr.svg").status_code == 404


def test_an_expired_link_says_so(client, three, monkeypatch):
    token = tokens.make([three[0].pk])
    import time as real_time

    later = real_time.time() + (tokens.SHARE_DAYS + 1) * 24 * 3600
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    response = client.get(f"/s/{token}")
    assert response.status_code == 410
    assert "This shared shortlist has expired" in response.content.decode()


def test_a_shared_list_of_500_ids_shows_the_valid_ones_with_a_note(client, three):
    archived = InitiativeFactory(status=Initiative.Status.ARCHIVED)
    token = tokens.make([archived.pk, three[1].pk, *range(10**6, 10**6 + 498)])
    html = page(client, f"/s/{token}")
    assert names_in_order(html) == ["Halton allotments 1"]
    assert "not on the register" in html


def test_the_qr_code_is_an_svg_of_the_link(client, three):
    add(client, three[0])
    token = share_token(client)
    response = client.get(f"/s/{token}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    body = response.content.decode()
    assert "<svg" in body and "<path" in body
    assert "<script" not in body


# Print


def test_the_printable_list_has_the_header_text_unstored_and_escaped(client, three):
    add(client, three[0])
    html = client.get(
        "/shortlist/print/", {"header": "Riverside Surgery <script>x</script>\n01928 111 111"}
    ).content.decode()
    assert "Riverside Surgery &lt;script&gt;x&lt;/script&gt;<br>01928 111 111" in html
    assert "Riverside Surgery" not in page(client, "/shortlist/print/")
    assert "Riverside Surgery" not in page(client)


def test_print_says_not_recorded_where_nobody_recorded_it(client):
    bare = InitiativeFactory(name="Bare group", website="", phone="")
    client.post("/shortlist/add/", {"id": bare.pk})
    html = page(client, "/shortlist/print/")
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>\s*(.*?)\s*</dd>", html, re.S))
    assert facts["What it offers"] == "Not recorded"
    assert facts["How to get in"] == "Not recorded: contact them to ask"
    assert facts["Opening times"] == "Not recorded"
    assert facts["Contact"] == "No contact details recorded."
    assert facts["Address"] == "Not recorded"
    assert facts["Who it is for"] == "Not recorded"
    assert facts["Ages"] == "Not recorded"


def test_print_of_an_empty_list(client):
    assert "Your shortlist is empty" in page(client, "/shortlist/print/")


# Caching


def test_pages_never_serve_a_stale_304_after_the_shortlist_changes(client, three, monkeypatch):
    # The validators' clock held still (with the local-memory cache they also change
    # every REVALIDATE_SECONDS, which a slow run would otherwise cross).
    monkeypatch.setattr(caching.time, "time", lambda: 1_800_000_000.0)
    before = client.get(LIST)
    assert "public" in before["Cache-Control"]
    etag = before["ETag"]
    assert client.get(LIST, headers={"if-none-match": etag}).status_code == 304

    add(client, three[0])
    after = client.get(LIST, headers={"if-none-match": etag})
    assert after.status_code == 200
    assert "Shortlist (<span data-shortlist-count>1</span>)" in after.content.decode()
    assert "private" in after["Cache-Control"]
    assert "ETag" not in after
    detail = client.get(three[0].get_absolute_url())
    assert "Remove from shortlist" in detail.content.decode()
    assert "private" in detail["Cache-Control"]

    client.post("/shortlist/remove/", {"id": three[0].pk, "next": LIST})
    emptied = client.get(LIST)
    assert "Shortlist (<span data-shortlist-count>0</span>)" in emptied.content.decode()
    assert "public" in emptied["Cache-Control"]
    # Empty again, the page is the one everyone gets, and the first ETag is current.
    assert emptied["ETag"] == etag


def test_the_shortlist_pages_are_private(client, three):
    add(client, three[0])
    token = share_token(client)
    for url in ["/shortlist/", "/shortlist/print/", f"/s/{token}"]:
        response = client.get(url)
        assert "private" in response["Cache-Control"]
        assert "ETag" not in response


def test_the_shortlist_page_reads_a_bounded_number_of_queries(
    client, django_assert_max_num_queries
):
    """The session, the initiatives and four prefetches, whatever the list's length; and
    the session written back once when a notice from the last change is shown."""
    many = [InitiativeFactory() for _ in range(20)]
    client.post("/shortlist/add/", {"id": [i.pk for i in many[:2]]})
    with django_assert_max_num_queries(10):
        small = client.get("/shortlist/")
    client.post("/shortlist/add/", {"id": [i.pk for i in many]})
    with django_assert_max_num_queries(10):
        large = client.get("/shortlist/")
    assert len(names_in_order(small.content.decode())) == 2
    assert len(names_in_order(large.content.decode())) == 20


def test_print_carries_what_was_recorded(client):
    from datetime import time

    from initiatives.models import Contact, OpeningTime

    from ..factories import PopulationGroupFactory

    carers = PopulationGroupFactory(name="Carers", slug="carers")
    full = InitiativeFactory(
        name="Full group",
        self_referral=True,
        self_referral_contact="Ring Sam",
        drop_in=False,
        min_age=18,
        address="2 Mill Lane\nWidnes",
        postcode="WA8 7AA",
        population_groups=[carers],
    )
    OpeningTime.objects.create(initiative=full, day="TU", opens_at=time(10), closes_at=time(16))
    Contact.objects.create(initiative=full, name="Sam Jones", title="Coordinator")
    client.post("/shortlist/add/", {"id": full.pk})
    html = page(client, "/shortlist/print/")
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>\s*(.*?)\s*</dd>", html, re.S))
    assert facts["Who it is for"] == "Carers"
    assert "18" in facts["Ages"]
    assert "<strong>Self-referral</strong>: Ring Sam" in facts["How to get in"]
    assert "Drop-in: not offered" in facts["How to get in"]
    assert "Tuesday: 10:00 to 16:00" in facts["Opening times"]
    assert "Sam Jones (Coordinator)" in facts["Contact"]
    assert facts["Address"] == "2 Mill Lane<br>Widnes<br>WA8 7AA"


def test_head_requests_are_answered(client, three):
    add(client, three[0])
    token = share_token(client)
    for url in ["/shortlist/", "/shortlist/print/", f"/s/{token}", f"/s/{token}/qr.svg"]:
        assert client.head(url).status_code == 200, url
