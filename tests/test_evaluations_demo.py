"""The demo world's evaluation: a venue evaluated with open and closed findings, and who sees it."""

import pytest
from django.test import Client
from django.urls import reverse

from renkei.demo.world import load_demo_world
from renkei.evaluations.models import ChecklistTemplate, Evaluation, FindingState
from renkei.sharing.evaluation_visibility import readable_evaluations


@pytest.mark.django_db
def test_the_demo_has_an_evaluation_in_follow_up():
    load_demo_world()
    evaluation = Evaluation.objects.get()
    assert evaluation.organisation.name == "臨海スタジアム管理株式会社"
    assert evaluation.state == "follow_up"
    states = sorted(evaluation.findings.values_list("state", flat=True))
    assert states == sorted([FindingState.CLOSED, FindingState.FIX_REPORTED, FindingState.OPEN])
    scenario = evaluation.scenarios.get()
    assert [s.order for s in scenario.steps.all()] == [1, 2, 3, 4]
    assert scenario.items.count() == 5 and evaluation.checklists.count() == 1
    assert all(item.result for item in evaluation.items.all())
    assert ChecklistTemplate.objects.get().items.count() == 9
    from renkei.accounts.models import User

    assessor = User.objects.get(email="inoue@csircc.example")
    venue_admin = User.objects.get(email="saito@rinkai-stadium.example")
    other = User.objects.get(email="hori@bayside-arena.example")
    assert readable_evaluations(assessor).count() == 1
    assert readable_evaluations(venue_admin).count() == 1
    assert not readable_evaluations(other).exists()
    client = Client()
    client.force_login(venue_admin)
    page = client.get(reverse("evaluations:report", args=[evaluation.pk])).content.decode()
    assert "保守用端末が業務系と中央監視ネットワークの両方に接続されている" in page
    assert client.get(reverse("evaluations:report_pdf", args=[evaluation.pk])).status_code == 200
