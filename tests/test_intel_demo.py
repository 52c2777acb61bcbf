"""The indicator system's demo data loads through the services and shows on the pages."""

import pytest
from django.test import Client
from django.urls import reverse

from renkei.demo.world import load_demo_world
from renkei.intel.demo import _id
from renkei.intel.models import Sighting, StixObject


@pytest.mark.django_db
def test_the_demo_world_has_indicators_a_report_and_sightings():
    load_demo_world()
    assert StixObject.objects.filter(type="indicator").count() >= 30
    # Other parts' demos add to the store too; ours is there.
    assert StixObject.objects.filter(stix_id=_id("report", "fake-streams")).count() == 1
    assert set(StixObject.objects.values_list("tlp", flat=True)) >= {"clear", "green", "amber",
                                                                     "red"}
    assert Sighting.objects.filter(source="demo").count() >= 5
    from renkei.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email__startswith="abe@"))
    assert "live-games-free.example" in client.get(reverse("intel:indicators")).content.decode()
