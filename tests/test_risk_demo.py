"""The demo world's risk assessment: three rounds for ten providers, improving PDCA answers,
released feedback, and an open round to try."""

import pytest
from django.test import Client
from django.urls import reverse

from renkei.accounts.models import User
from renkei.demo.world import load_demo_world
from renkei.risk.models import FeedbackReport, Round, Submission
from renkei.risk.pdca import average
from renkei.sharing.risk_visibility import readable_feedback, readable_submissions


@pytest.fixture
def demo(db):
    return load_demo_world()


def test_three_rounds_for_ten_providers_with_improving_pdca(demo):
    rounds = list(Round.objects.order_by("number"))
    assert [r.state for r in rounds] == ["feedback_released", "feedback_released", "open"]
    assert all(r.targets.count() == 10 for r in rounds)
    sakura = User.objects.get(email__startswith="suzuki@").organisation
    answers = [average(Submission.objects.filter(round=r, organisation=sakura)
                       .order_by("-version").first().pdca) for r in rounds]
    assert answers[0] < answers[1] < answers[2]
    released = FeedbackReport.objects.filter(released_at__isnull=False)
    assert released.count() == 20 and released.filter(comments__isnull=False).exists()
    assert FeedbackReport.objects.filter(round=rounds[1], content__has_previous=True).count() == 10
    open_round = rounds[2]
    states = list(Submission.objects.filter(round=open_round).values_list("state", flat=True))
    assert sorted(states) == ["draft"] * 2 + ["submitted"] * 7


def test_the_assessor_and_a_provider_read_what_the_rule_gives_them(demo):
    inoue = User.objects.get(email__startswith="inoue@", organisation__kind="centre")
    assert readable_feedback(inoue).count() == 20
    assert not readable_submissions(inoue).filter(state="draft").exists()
    admin = User.objects.get(email__startswith="suzuki@")
    assert set(readable_feedback(admin).values_list("organisation", flat=True)) == {
        admin.organisation_id}
    client = Client()
    client.force_login(admin)
    report = readable_feedback(admin).order_by("-round__number").first()
    page = client.get(reverse("risk:feedback", args=[report.pk])).content.decode()
    assert "第1回" in page  # beside the previous round
    home = client.get(reverse("risk:home")).content.decode()
    assert "<svg" in home
