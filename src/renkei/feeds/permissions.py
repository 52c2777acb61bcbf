"""Who may do what with feeds: one place, so pages, API and services agree.

- Importing into a community: whoever may post there (`sharing.permissions.can_post`), the same
  rule the store applies to every write.
- Turning found values into indicators (issue 5, item 4) is an analyst's call: the centre's
  analysts (and platform admins), and the managers of the target community
  (`can_manage_community`: its managers, the owning organisation's admins, the centre for its
  own communities) — in both cases only where they may post.
- Scheduled feeds fetch from the internet on the platform's behalf, so only the centre's
  analysts and platform admins define them.
"""

from renkei.accounts.models import CentreRole
from renkei.sharing.permissions import can_manage_community, can_post


def is_analyst(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_centre_staff and (
        user.is_platform_admin or CentreRole.ANALYST in user.centre_roles())


def may_import(user, community) -> bool:
    return can_post(user, community)


def may_make_indicators(user, community) -> bool:
    if not can_post(user, community):
        return False
    return is_analyst(user) or can_manage_community(user, community)


def may_manage_feed_sources(user) -> bool:
    return is_analyst(user)
