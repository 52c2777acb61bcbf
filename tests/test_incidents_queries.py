# ruff: noqa: F811 (the fixtures imported from test_incidents are parameters here)
"""The duty officer's board, list and a case page make as many queries with many cases as
with a few (no query per row), and the rows show what the models hold."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from renkei.accounts.services import create_organisation
from renkei.incidents import services
from renkei.incidents.models import Case, Classification
from tests.test_incidents import _english, file, incidents  # noqa: F401 (fixtures)

PAGES = [
    ("incidents:board", ""),
    ("incidents:board", "?escalated=1&severity=high"),
    ("incidents:list", ""),
    ("incidents:list", "?open=1&overdue=1"),
    ("incidents:list", "?q=障害"),
]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def _more_cases(w, n: int) -> list[Case]:
    """Cases from distinct organisations, classes, assignees and states."""
    classes = list(Classification.objects.all())
    cases = []
    for i in range(n):
        org = create_organisation(name=f"参加組織{i:03d}", kind="participant")
        w.alice.organisation = org  # the reporting organisation is the reporter's
        case = file(w, title=f"システム障害{i}").case
        Case.objects.filter(pk=case.pk).update(
            organisation=org, classification=classes[i % len(classes)],
            assignee=[w.officer, w.responder, w.clerk, None][i % 4],
            state=["new", "triaged", "in_progress", "monitoring"][i % 4],
            severity=["low", "medium", "high", "critical"][i % 4], escalated=i % 2 == 0)
        cases.append(case)
    return cases


def test_the_board_the_list_and_a_case_page_do_not_grow_with_the_cases(
        incidents, client, django_assert_max_num_queries):
    w = incidents
    first = file(w, title="システム障害").case
    services.add_note(actor=w.officer, case=first, body="内部メモ")
    # Assigned to someone without a case role: the one extra query for such names is there
    # from the start, so what is compared below is the growth with the number of cases.
    Case.objects.filter(pk=first.pk).update(assignee=w.clerk, escalated=True, severity="high")
    client.force_login(w.officer)
    urls = [reverse(name) + query for name, query in PAGES]
    few = {url: _queries(client, url) for url in urls}
    case_url = reverse("incidents:case", args=[first.pk])
    few_case = _queries(client, case_url)
    _more_cases(w, 12)
    for url in urls:
        with django_assert_max_num_queries(few[url]):
            response = client.get(url)
        assert response.status_code == 200
    with django_assert_max_num_queries(few_case):
        client.get(case_url)
    # A fixed ceiling as well, so that a page cannot start with many queries either.
    assert max(few.values()) <= 20 and few_case <= 30


def test_rows_show_the_organisation_class_assignee_and_flags(incidents, as_user):
    w = incidents
    case = _more_cases(w, 4)[2]  # in progress, high, escalated, assigned to the clerk
    case.refresh_from_db()
    page = as_user(w.officer).get(reverse("incidents:list")).content.decode()
    assert f'href="{reverse("incidents:case", args=[case.pk])}"' in page
    assert f"INC-{case.pk:06d}" in page and case.organisation.name in page
    assert case.classification.name in page and w.clerk.name in page
    board = as_user(w.officer).get(reverse("incidents:board")).content.decode()
    assert f"INC-{case.pk:06d}" in board and "Escalated" in board
    found = as_user(w.officer).get(reverse("incidents:list") + "?q=参加組織002").content
    assert f"INC-{case.pk:06d}" in found.decode()


@pytest.mark.parametrize("page", ["1", "3", "x"])
def test_a_page_past_the_end_shows_the_last(incidents, as_user, page):
    w = incidents
    file(w)
    response = as_user(w.officer).get(reverse("incidents:list") + f"?page={page}")
    assert response.status_code == 200 and "1 case" in response.content.decode()
