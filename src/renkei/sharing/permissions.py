"""Who may write where. Reading is decided in `visibility`; these only gate changes."""

from renkei.communities.models import EVERYONE_READS, CommunityKind, Membership
from renkei.sharing.models import LIVE_ENVIRONMENT_ID


def is_member(user, community) -> bool:
    return Membership.objects.filter(
        community=community, state=Membership.State.ACTIVE,
    ).filter(organisation_id=user.organisation_id).exists() or Membership.objects.filter(
        community=community, state=Membership.State.ACTIVE, user_id=user.id
    ).exists()


def can_manage_community(user, community) -> bool:
    """Community managers, admins of the owning organisation, and the centre for its own."""
    if community.kind in EVERYONE_READS or community.kind in {
        CommunityKind.CONSULTATION, CommunityKind.NOTIFICATION
    }:
        return user.is_centre_staff and (user.is_org_admin or user.is_platform_admin
                                         or bool(user.centre_roles()))
    if user.is_org_admin and community.owner_organisation_id == user.organisation_id:
        return True
    return Membership.objects.filter(
        community=community, state=Membership.State.ACTIVE, is_manager=True, user_id=user.id
    ).exists()


def can_post(user, community) -> bool:
    if community.is_archived:
        return False
    if community.kind in EVERYONE_READS or community.kind == CommunityKind.NOTIFICATION:
        return user.is_centre_staff
    if community.kind == CommunityKind.CONSULTATION:
        return True
    return is_member(user, community)


def postable_communities(user, environment_id: int = LIVE_ENVIRONMENT_ID):
    """The communities `can_post` allows, as one query (e.g. to offer as re-share targets).

    Readable open and closed communities are exactly those the user is an active member of.
    """
    from renkei.sharing.visibility import readable_communities

    communities = readable_communities(user, environment_id).filter(is_archived=False)
    if not user.is_centre_staff:
        communities = communities.exclude(
            kind__in=[*EVERYONE_READS, CommunityKind.NOTIFICATION]
        )
    return communities


def can_edit_topic(user, topic) -> bool:
    if _is_finished_report(topic):
        return False
    if topic.author_id == user.id:
        return True
    if user.is_org_admin and topic.author_organisation_id == user.organisation_id:
        return True
    return can_manage_community(user, topic.community)


def _is_finished_report(topic) -> bool:
    """A report whose case the centre has finished is the record of what happened: frozen."""
    from renkei.communities.models import CommunityKind
    from renkei.incidents.models import FINISHED_STATES, Case

    if topic.community.kind != CommunityKind.CONSULTATION:
        return False  # reports live in the consultation window only
    return Case.objects.filter(report__topic_id=topic.pk, state__in=FINISHED_STATES).exists()


def can_pin(user, community) -> bool:
    return can_manage_community(user, community)
