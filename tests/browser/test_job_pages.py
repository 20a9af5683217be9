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
