"""Reads of the feeds app. Import runs are records of what someone did: a person reads their
own runs; the centre's analysts also read the runs of scheduled feeds. Topics are read only
through `access_topic`, collections only through `intel.selectors`."""

from django.db.models import Q, QuerySet
from django.http import Http404

from renkei.feeds import permissions
from renkei.feeds.models import FeedSource, ImportRun
from renkei.sharing.permissions import postable_communities


def readable_runs(user) -> QuerySet:
    if user is None or not user.is_authenticated or not user.is_active:
        return ImportRun.objects.none()
    mine = Q(created_by=user)
    if permissions.is_analyst(user):
        mine |= Q(feed_source__isnull=False)
    return ImportRun.objects.filter(mine).select_related("community", "feed_source")


def access_run(user, run_id) -> ImportRun:
    run = readable_runs(user).filter(uuid=run_id).first() if _is_uuid(run_id) else None
    if run is None:
        raise Http404
    return run


def feed_sources(user) -> QuerySet:
    if not permissions.may_manage_feed_sources(user):
        return FeedSource.objects.none()
    return FeedSource.objects.select_related("community")


def access_feed_source(user, pk) -> FeedSource:
    source = feed_sources(user).filter(pk=pk).first() if str(pk).isdigit() else None
    if source is None:
        raise Http404
    return source


def indicator_targets(user, topic) -> list:
    """Communities where the user may put the topic's indicators (the service re-checks TLP)."""
    communities = postable_communities(user, topic.community.environment_id).order_by("name")
    return [c for c in communities if permissions.may_make_indicators(user, c)]


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
