"""The Jobs list and a job's page: WCAG 2.2 AA (axe), within the CSP, and the result
page's "Run it again" and problems reachable by keyboard."""

import pytest

from initiatives.models import Job
from tests.factories import curators_group

from .accessibility import tab_to, wcag_violations
from .test_csp import RECORD_VIOLATIONS, violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_job_pages_pass_axe_and_the_policy(page, live_server, django_user_model):
    user = django_user_model.objects.create_user("curator", password="a-long-test-passphrase")
    user.is_staff = True
    user.save()
    user.groups.add(curators_group())
    refused = Job.objects.create(
        kind=Job.Kind.IMPORT,
        description="Import of bad.csv",
        filename="bad.csv",
        started_by=user,
        status=Job.Status.REFUSED,
        summary="Nothing was imported: the file has 2 problems.",
        problems=[[2, "Postcode", "Enter a UK postcode."], [3, "Role", "Choose a role."]],
        problem_count=2,
    )
    failed = Job.objects.create(
        kind=Job.Kind.ACTION,
        description="Publish all matching initiatives",
        started_by=user,
        status=Job.Status.FAILED,
        summary="Stopped: nothing was changed. Run it again.",
    )
    queued = Job.objects.create(
        kind=Job.Kind.IMPORT, description="Import of big.csv", started_by=user, total=900
    )
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(live_server.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", "a-long-test-passphrase")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    for path in [
        "/admin/initiatives/job/",
        f"/admin/initiatives/job/{refused.pk}/change/",
        f"/admin/initiatives/job/{failed.pk}/change/",
        f"/admin/initiatives/job/{queued.pk}/change/",
    ]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        assert wcag_violations(page) == [], path
        assert violations(page) == [], path
    page.goto(live_server.url + f"/admin/initiatives/job/{refused.pk}/change/")
    tab_to(page, "#import-problems-csv")
    page.goto(live_server.url + f"/admin/initiatives/job/{failed.pk}/change/")
    tab_to(page, "input[value='Run it again']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "The job is queued again." in page.content()
    failed.refresh_from_db()
    assert failed.status == Job.Status.QUEUED


def sign_in(page, live_server, django_user_model):
    user = django_user_model.objects.create_user("curator", password="a-long-test-passphrase")
    user.is_staff = True
    user.save()
    user.groups.add(curators_group())
    page.goto(live_server.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", "a-long-test-passphrase")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return user


def test_a_running_jobs_page_follows_its_progress_and_can_stop_updating(
    page, live_server, django_user_model
):
    from django.utils import timezone
    from playwright.sync_api import expect

    page.add_init_script(RECORD_VIOLATIONS)
    user = sign_in(page, live_server, django_user_model)
    job = Job.objects.create(
        kind=Job.Kind.ACTION,
        description="Publish all matching initiatives",
        started_by=user,
        status=Job.Status.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        attempts=1,
        total=1001,
        done=10,
    )
    polls = []
    page.on("request", lambda r: "progress.json" in r.url and polls.append(r.url))
    page.goto(live_server.url + f"/admin/initiatives/job/{job.pk}/change/")
    live = page.locator("#job-live-text")
    assert live.get_attribute("aria-live") == "polite"
    expect(live).to_have_text("Working: 10 of 1,001 rows done.")
    assert wcag_violations(page) == []
    assert violations(page) == []

    # The worker's heartbeat moves on: the page follows without reloading.
    Job.objects.filter(pk=job.pk).update(done=500)
    expect(live).to_have_text("Working: 500 of 1,001 rows done.", timeout=15_000)
    expect(page.locator("#job-progress")).to_have_text("Working: 500 of 1,001 rows done")

    # Stopping the updates (WCAG 2.2.2), by keyboard.
    tab_to(page, "#job-updates")
    expect(page.locator("#job-updates")).to_have_text("Stop updating")
    page.keyboard.press("Enter")
    expect(page.locator("#job-updates")).to_have_text("Start updating")
    asked = len(polls)
    Job.objects.filter(pk=job.pk).update(done=900)
    page.wait_for_timeout(4000)  # longer than the page's 3 s between reads
    assert len(polls) == asked
    expect(live).to_have_text("Working: 500 of 1,001 rows done.")

    # Started again, it reads at once; the job finishes and the page says so.
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE, done=1001, summary="1,001 initiatives published."
    )
    page.keyboard.press("Enter")
    expect(live).to_have_text("The job has finished: Done. 1,001 initiatives published.")
    expect(page.locator("#job-refresh")).to_have_text("Show the result")
    assert not page.locator("#job-updates").is_visible()
    assert violations(page) == []
    assert page.console_errors == []


def test_without_javascript_a_running_jobs_page_offers_a_refresh_link(
    browser, live_server, django_user_model
):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        user = sign_in(page, live_server, django_user_model)
        job = Job.objects.create(
            kind=Job.Kind.IMPORT,
            description="Import of big.csv",
            started_by=user,
            status=Job.Status.RUNNING,
            total=900,
            done=300,
        )
        page.goto(live_server.url + f"/admin/initiatives/job/{job.pk}/change/")
        assert page.locator("#job-progress").inner_text() == "Working: 300 of 900 rows done"
        assert page.locator("#job-updates").count() == 0
        Job.objects.filter(pk=job.pk).update(done=600)
        with page.expect_navigation():
            page.click("#job-refresh")
        assert page.locator("#job-progress").inner_text() == "Working: 600 of 900 rows done"
    finally:
        context.close()
