"""Who may use the centre's situation pages: one place.

AM/PM reports, statistics and summaries (drafts included) show the centre's cases, so they
follow the cases: centre people holding a case-handling role (`incidents.permissions`). Everyone
else gets 404, as for a missing page. What the centre publishes is a topic, read under the
topic rule like every other.
"""

from renkei.incidents.permissions import is_case_handler


def may_use_situation(user) -> bool:
    return is_case_handler(user)
