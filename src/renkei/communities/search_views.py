"""The topic search page (/topics/): a GET form, results with totals, export links.

Input is parsed by `search.parse_topic_query` and run by `search.search_topics`, the same as the
exports and the API; bad input shows its message with status 400 and no results.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from renkei.accounts.models import Organisation
from renkei.communities.models import InformationKind, ReaderLevel, TopicTag
from renkei.communities.paging import pinned_first_page
from renkei.communities.search import NO_TAG, parse_topic_query, search_parts
from renkei.communities.views import TOPICS_PER_PAGE, _my_communities, _topic_rows
from renkei.errors import ServiceError
from renkei.sharing.models import TLP

SORT_CHOICES = [
    ("", _("Best match (title first), then newest")),
    ("updated", _("Last update")),
    ("created", _("Date posted")),
    ("acks", _("Most いいね！")),
]
ACKED_CHOICES = [("", _("All")), ("yes", _("Only ones I acknowledged")),
                 ("no", _("Only ones I have not acknowledged"))]


def _choices(request: HttpRequest) -> dict:
    """The options of the filter form; values are what parse_topic_query accepts."""
    tags = [(NO_TAG if value == "" else value, label) for value, label in TopicTag.choices]
    return {
        "communities": _my_communities(request.user).order_by("kind", "name").only("id", "name"),
        "organisations": Organisation.objects.filter(is_active=True).order_by("name")
        .only("id", "name"),
        "kinds": InformationKind.choices, "tags": tags, "tlps": TLP.choices,
        "levels": ReaderLevel.choices, "sorts": SORT_CHOICES, "acked_choices": ACKED_CHOICES,
    }


@login_required
def search(request: HttpRequest) -> HttpResponse:
    user = request.user
    params = request.GET
    try:
        query = parse_topic_query(params, user)
    except ServiceError as exc:
        query, errors = None, exc.messages
    else:
        errors = []
    page = None
    if query is not None:
        first, rest = search_parts(user, query)
        page = pinned_first_page(_topic_rows(first), _topic_rows(rest), params.get("page"),
                                 TOPICS_PER_PAGE)
    return render(request, "communities/search.html", {
        "errors": errors, "page": page, "query": query,
        "q": params.get("q", ""), "chosen": {name: params.get(name, "") for name in (
            "community", "kind", "tag", "tlp", "level", "org", "from", "to", "acked", "sort")},
        **_choices(request),
    }, status=400 if errors else 200)
