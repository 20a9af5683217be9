"""Conditional GETs (initiatives.caching.revalidated): public pages carry ETag and
Last-Modified from the register's version and the URL, a repeat with the ETag gets a
304 without the page being built, and a curator's change gives a new ETag."""

from datetime import time

import pytest
from django.utils.http import http_date

from initiatives import caching
from initiatives.models import OpeningTime

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

LIST = "/initiatives/?q=allotments&role=service_provider"


PUBLIC_PAGES = [
    "/",
    LIST,
    "/initiatives/halton-allotments/",
    "/areas/",
    "/areas/halton/",
    "/insights/",
    "/api/v1/services",
    "/api/v1/service_at_locations",
    "/api/v1/organizations",
    "/api/v1/taxonomies",
    "/api/v1/taxonomy_terms",
]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_repeat_with_the_etag_is_not_modified(
    client, register, url, django_assert_max_num_queries
):
    first = client.get(url)
    assert first.status_code == 200
    assert first["ETag"].startswith('W/"')
    assert "Last-Modified" in first
    assert "public" in first["Cache-Control"]
    assert "no-cache" in first["Cache-Control"]
    assert "Cookie" in first["Vary"]

    # Answered before the page is built; the initiative page reads only what it says of
    # its opening now (one query), the words its ETag follows.
    reads = 1 if url.startswith("/initiatives/halton") else 0
    with django_assert_max_num_queries(reads):
        repeat = client.get(url, headers={"if-none-match": first["ETag"]})
    assert repeat.status_code == 304
    assert repeat.content == b""
    assert repeat["ETag"] == first["ETag"]


def test_another_url_or_other_params_have_another_etag(client, register):
    etags = {client.get(url)["ETag"] for url in [LIST, LIST + "&page=1", "/initiatives/"]}
    assert len(etags) == 3


def test_a_curators_change_gives_a_new_etag_and_the_new_page(client, register):
    first = client.get(LIST)
    register.name = "Halton allotments and orchard"
    register.save()
    again = client.get(LIST, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert "Halton allotments and orchard" in again.content.decode()


def test_if_modified_since_alone(client, register):
    first = client.get("/areas/")
    same = client.get("/areas/", headers={"if-modified-since": first["Last-Modified"]})
    assert same.status_code == 304
    older = client.get("/areas/", headers={"if-modified-since": http_date(0)})
    assert older.status_code == 200


def test_with_each_worker_keeping_its_own_version_pages_revalidate_within_seconds(
    client, register, clock
):
    """The local-memory cache is per worker, and another worker's change does not bump
    this one's version: its validators also change every REVALIDATE_SECONDS."""
    first = client.get(LIST)
    assert client.get(LIST, headers={"if-none-match": first["ETag"]}).status_code == 304
    clock["time"] += caching.REVALIDATE_SECONDS
    later = client.get(LIST, headers={"if-none-match": first["ETag"]})
    assert later.status_code == 200
    assert later["ETag"] != first["ETag"]


def test_signed_in_curators_get_private_pages_without_validators(admin_client, register):
    for url in ["/", LIST, "/initiatives/halton-allotments/"]:
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "ETag" not in response
        assert "private" in response["Cache-Control"]
        assert "public" not in response["Cache-Control"]


def test_errors_are_not_public(client, register):
    missing = client.get("/initiatives/no-such-thing/")
    assert missing.status_code == 404
    assert "ETag" not in missing
    assert "public" not in missing["Cache-Control"]


def test_pages_with_forms_that_post_stay_uncached(client, register):
    response = client.get("/suggest/")
    assert "ETag" not in response
    assert "public" not in response.get("Cache-Control", "")


def test_a_page_saying_open_now_is_current_while_it_says_the_same(
    client, register, clock, monkeypatch
):
    """With a cache every worker shares, validators change only with the register; the
    initiative page also says "Open now until 16:00" or "Opens today 10:00", so its ETag
    changes when those words do (not with every minute), while the area page's does not."""
    monkeypatch.setattr(caching, "_shared", lambda: True)
    OpeningTime.objects.create(initiative=register, day="FR", opens_at=time(10), closes_at=time(16))
    page, area = "/initiatives/halton-allotments/", "/areas/halton/"
    first_page, first_area = client.get(page), client.get(area)  # Friday 08:00 in the UK
    assert "Opens today 10:00" in first_page.content.decode()
    clock["time"] += 90 * 60  # 09:30: the same words
    assert client.get(page, headers={"if-none-match": first_page["ETag"]}).status_code == 304
    clock["time"] += 30 * 60  # 10:00: open
    later_page = client.get(page, headers={"if-none-match": first_page["ETag"]})
    assert later_page.status_code == 200
    assert later_page["ETag"] != first_page["ETag"]
    assert "Open now until 16:00" in later_page.content.decode()
    # Revalidating by date alone, the page is current for its minute only.
    since = later_page["Last-Modified"]
    assert client.get(page, headers={"if-modified-since": since}).status_code == 304
    clock["time"] += 60
    assert client.get(page, headers={"if-modified-since": since}).status_code == 200
    assert client.get(area, headers={"if-none-match": first_area["ETag"]}).status_code == 304
