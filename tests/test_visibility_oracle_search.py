"""Search joins the visibility oracle: in random worlds, a search matching every title finds
exactly the topics the oracle says each person may read — through `search_topics` in both
environments, through the search page, and through a community page's keyword box."""

import pytest
from django.test import Client
from django.urls import reverse

from renkei.communities import search_index
from renkei.communities.models import Topic, TopicSearchEntry
from renkei.communities.search import parse_topic_query, search_topics
from tests.test_search import results_part
from tests.test_visibility_oracle import (
    LIVE,
    Built,
    WorldSpec,
    build,
    describe,
    expected_for,
    for_each_user,
    in_random_worlds,
    title_of,
)

# Every generated title is "qzt<number>x": this finds them all, and nothing else.
EVERY_TITLE = "qzt"


def _build_indexed(spec: WorldSpec) -> Built:
    built = build(spec)
    # The generator writes some topics straight into the table (states the services no longer
    # reach); index those as `rebuild_search_index` would. The services indexed the rest.
    unindexed = Topic.objects.exclude(
        id__in=TopicSearchEntry.objects.values("topic_id")).values_list("id", flat=True)
    search_index.index_topics(list(unindexed))
    return built


@pytest.mark.django_db
def test_search_finds_exactly_what_the_oracle_allows():
    def check_world(spec: WorldSpec, built: Built) -> None:
        for u, user in enumerate(built.users):
            for env, env_id in built.envs.items():
                _, want = expected_for(spec, built, u, env)
                query = parse_topic_query({"q": EVERY_TITLE}, user, env_id)
                got = set(search_topics(user, query, env_id)
                          .values_list("public_id", flat=True))
                assert got == want, f"search_topics({describe(spec, u)}, {env})"

    in_random_worlds(8, check_world, build_world=_build_indexed)


@pytest.mark.django_db
def test_search_pages_show_exactly_what_the_oracle_allows():
    in_random_worlds(5, for_each_user(_check_pages), build_world=_build_indexed)


def _check_pages(spec: WorldSpec, built: Built, u: int) -> None:
    client = Client()
    client.force_login(built.users[u])
    who = describe(spec, u)
    signed_in = spec.users[u].active and spec.orgs[spec.users[u].org].active
    want_communities, want_topics = expected_for(spec, built, u, LIVE)
    titles = {pid: title_of(t) for t, pid in built.topic_ids.items()}

    response = client.get(reverse("communities:search"), {"q": EVERY_TITLE})
    assert response.status_code == (200 if signed_in else 302), f"search page for {who}"
    if not signed_in:
        return
    results = results_part(response.content.decode())
    for pid, title in titles.items():
        assert (title in results) == (pid in want_topics), f"search page: {pid} for {who}"

    for c, community in enumerate(built.communities):
        if community.id not in want_communities:
            continue  # an unreadable community page is a 404 (the main oracle test checks it)
        body = client.get(reverse("communities:detail", args=[community.id]),
                          {"q": EVERY_TITLE}).content.decode()
        for t, pid in built.topic_ids.items():
            if spec.topics[t].community == c:
                assert (titles[pid] in body) == (pid in want_topics), (
                    f"keyword box of {community}: {pid} for {who}")
