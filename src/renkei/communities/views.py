"""Pages for communities and topics.

Every read goes through `sharing.visibility` (missing and forbidden both answer 404); every
write goes through `communities.services`. A refused request shows the service's message and
the page again with status 400, with the input kept.
"""

from collections import defaultdict
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkei.communities import services
from renkei.communities.audiences import community_destinations, passes_anywhere, topic_item
from renkei.communities.forms import (
    CommentForm,
    CommunityForm,
    MemberAddForm,
    ReshareForm,
    TopicForm,
)
from renkei.communities.models import (
    MEMBERS_READ,
    Attachment,
    Community,
    CommunityKind,
    Membership,
    Topic,
    TopicTag,
)
from renkei.communities.paging import pinned_first_page
from renkei.communities.search import TopicQuery, search_topics
from renkei.errors import ServiceError
from renkei.http import post_data, refuse, show_errors
from renkei.notifications.services import mark_topic_read
from renkei.sharing import permissions
from renkei.sharing.models import LIVE_ENVIRONMENT_ID, TLP, AudienceMode
from renkei.sharing.passing import refusal
from renkei.sharing.visibility import (
    access_community,
    access_topic,
    readable_communities,
    readable_topics,
    revision_readable,
)
from renkei.text import render_markdown

TOPICS_PER_PAGE = 20
HOME_TOPICS = 20
LATEST_WINDOW = timedelta(days=7)
HOME_COMMUNITIES = 50
COMMUNITIES_PER_PAGE = 50
SORTS = ("updated", "created")


# --- helpers ---------------------------------------------------------------------------------

def _topic_rows(queryset: QuerySet, *, with_community: bool = True) -> QuerySet:
    """Topics for a list: what the rows show in one query, without the (long) bodies."""
    related = ["author__organisation"] + (["community"] if with_community else [])
    return queryset.select_related(*related).defer("body", "body_html")


def _topic_url(topic: Topic, anchor: str = "") -> str:
    url = reverse("communities:topic", args=[topic.public_id])
    return f"{url}#{anchor}" if anchor else url


# --- home and communities --------------------------------------------------------------------

def _my_communities(user) -> QuerySet:
    """Readable communities, without other organisations' notification channels (the centre
    reads all of them; they belong on the community list, not on everyone's home page)."""
    others_channels = Q(kind=CommunityKind.NOTIFICATION) & ~Q(
        notified_organisation_id=user.organisation_id
    )
    return readable_communities(user).exclude(others_channels)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    topics = _topic_rows(readable_topics(user)).order_by("-updated_at", "-id")
    return render(request, "communities/home.html", {
        "pinned": list(topics.filter(is_pinned=True)[:HOME_TOPICS]),
        "latest": _latest(topics, HOME_TOPICS),
        "communities": list(_my_communities(user)[:HOME_COMMUNITIES]),
    })


def _latest(topics: QuerySet, limit: int) -> list[Topic]:
    """The newest `limit` topics. Asking for the last week first lets the database walk its
    updated_at index instead of sorting every readable topic (SQLite would); when the week holds
    fewer, all time is asked — the answer is the same either way."""
    recent = list(topics.filter(updated_at__gte=timezone.now() - LATEST_WINDOW)[:limit])
    return recent if len(recent) == limit else list(topics[:limit])


def _joinable_communities(user) -> QuerySet:
    """Open and closed communities the user does not read yet. Their names and descriptions
    are not secret (people must find them to ask to join); their topics are."""
    return Community.objects.filter(
        environment_id=LIVE_ENVIRONMENT_ID, kind__in=MEMBERS_READ, is_archived=False,
    ).exclude(id__in=readable_communities(user).values("id"))


@login_required
def community_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    mine = readable_communities(user).select_related("owner_organisation").order_by("kind", "name")
    others = _joinable_communities(user).select_related("owner_organisation").order_by("name")
    mine_page = Paginator(mine, COMMUNITIES_PER_PAGE).get_page(request.GET.get("page"))
    others_page = Paginator(others, COMMUNITIES_PER_PAGE).get_page(request.GET.get("others"))
    states = dict(
        Membership.objects.filter(user=user, community__in=[c.id for c in others_page])
        .values_list("community_id", "state")
    )
    for community in others_page:
        community.my_state = states.get(community.id)
    return render(request, "communities/community_list.html", {
        "mine": mine_page, "others": others_page,
        "can_create": user.is_org_admin or user.is_platform_admin,
        "State": Membership.State,
    })


@login_required
def community_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.is_org_admin or user.is_platform_admin):
        return refuse(request, _("Only organisation admins may create communities."),
                       reverse("communities:list"))
    data, _files = post_data(request)
    form = CommunityForm(data)
    status = 200
    if data is not None:
        if form.is_valid():
            try:
                community = services.create_community(actor=user, **form.cleaned_data)
            except ServiceError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("The community was created."))
                return redirect("communities:detail", community_id=community.id)
        status = 400
    return render(request, "communities/community_form.html", {"form": form}, status=status)


@login_required
def community_detail(request: HttpRequest, community_id: int) -> HttpResponse:
    user = request.user
    community = access_community(user, community_id)
    query = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "updated")
    if sort not in SORTS:
        sort = "updated"
    # The keyword box is the topic search, limited to this community.
    errors = []
    try:
        found = search_topics(user, TopicQuery(q=query, community_ids=(community.id,), sort=sort))
    except ServiceError as exc:
        errors, found = exc.messages, Topic.objects.none()
    topics = _topic_rows(found, with_community=False)
    # Must-see topics first, as in JISP; then the chosen order.
    page = pinned_first_page(
        topics.filter(is_pinned=True), topics.filter(is_pinned=False),
        request.GET.get("page"), TOPICS_PER_PAGE,
    )
    return render(request, "communities/community_detail.html", {
        "community": community, "page": page, "query": query, "sort": sort, "errors": errors,
        "can_post": permissions.can_post(user, community),
        "can_manage": permissions.can_manage_community(user, community),
        "personal_membership": Membership.objects.filter(community=community, user=user).first(),
    }, status=400 if errors else 200)


def _joinable(community_id: int) -> Community:
    """The community a join or leave button names; the service decides what it may do."""
    return get_object_or_404(Community, pk=community_id, environment_id=LIVE_ENVIRONMENT_ID)


@login_required
@require_POST
def community_join(request: HttpRequest, community_id: int) -> HttpResponse:
    community = _joinable(community_id)
    try:
        membership = services.join_community(actor=request.user, community=community)
    except ServiceError as exc:
        show_errors(request, exc)
        return redirect("communities:list")
    if membership.state == Membership.State.ACTIVE:
        messages.success(request, _("You joined %(name)s.") % {"name": community.name})
        return redirect("communities:detail", community_id=community.id)
    messages.success(request, _("You asked to join %(name)s. A manager of the community will "
                                "decide.") % {"name": community.name})
    return redirect("communities:list")


@login_required
@require_POST
def community_leave(request: HttpRequest, community_id: int) -> HttpResponse:
    community = _joinable(community_id)
    try:
        services.leave_community(actor=request.user, community=community)
    except ServiceError as exc:
        show_errors(request, exc)
    else:
        messages.success(request, _("You left %(name)s.") % {"name": community.name})
    return redirect("communities:list")


# --- members ---------------------------------------------------------------------------------

def _members_page(request: HttpRequest, community: Community, *, form: MemberAddForm | None = None,
                  status: int = 200) -> HttpResponse:
    can_manage = permissions.can_manage_community(request.user, community)
    memberships = community.memberships.select_related("organisation", "user__organisation")
    if not can_manage:
        memberships = memberships.filter(state=Membership.State.ACTIVE)
    memberships = memberships.order_by("state", "organisation__name", "user__name")
    return render(request, "communities/members.html", {
        "community": community, "memberships": list(memberships), "can_manage": can_manage,
        "form": form or (MemberAddForm() if can_manage else None),
        "fixed": community.kind not in MEMBERS_READ, "State": Membership.State,
    }, status=status)


@login_required
def members(request: HttpRequest, community_id: int) -> HttpResponse:
    community = access_community(request.user, community_id)
    if request.method != "POST":
        return _members_page(request, community)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_member(
                actor=request.user, community=community, organisation=data["organisation"],
                user=data["user"], is_manager=data["is_manager"], invite=data["invite"],
            )
        except ServiceError as exc:
            show_errors(request, exc)
        else:
            messages.success(request, _("The member list was updated."))
            return redirect("communities:members", community_id=community.id)
    return _members_page(request, community, form=form, status=400)


def _membership_action(request: HttpRequest, community_id: int, membership_id: int, action,
                       done: str) -> HttpResponse:
    community = access_community(request.user, community_id)
    membership = get_object_or_404(
        Membership.objects.select_related("organisation", "user"),
        pk=membership_id, community=community,
    )
    membership.community = community
    try:
        action(actor=request.user, membership=membership)
    except ServiceError as exc:
        show_errors(request, exc)
        return _members_page(request, community, status=400)
    messages.success(request, done)
    return redirect("communities:members", community_id=community.id)


@login_required
@require_POST
def member_approve(request: HttpRequest, community_id: int, membership_id: int) -> HttpResponse:
    return _membership_action(request, community_id, membership_id, services.approve_member,
                              _("The request was approved."))


@login_required
@require_POST
def member_remove(request: HttpRequest, community_id: int, membership_id: int) -> HttpResponse:
    return _membership_action(request, community_id, membership_id, services.remove_member,
                              _("The member was removed."))


# --- topics ----------------------------------------------------------------------------------

@login_required
def topic_create(request: HttpRequest, community_id: int) -> HttpResponse:
    user = request.user
    community = access_community(user, community_id)
    back = reverse("communities:detail", args=[community.id])
    if not permissions.can_post(user, community):
        return refuse(request, _("You may not post in this community."), back)
    data, files = post_data(request)
    form = TopicForm(data, files, community=community,
                     allow_pin=permissions.can_pin(user, community))
    status = 200
    if data is not None:
        if form.is_valid():
            try:
                topic = services.post_topic(
                    actor=user, community=community,
                    pinned=form.cleaned_data.get("pinned", False), **form.service_arguments(),
                )
            except ServiceError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("The topic was posted."))
                return redirect(_topic_url(topic))
        status = 400
    return render(request, "communities/topic_form.html", {
        "form": form, "community": community, "back": back, "editing": False,
    }, status=status)


@login_required
def topic_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    user = request.user
    topic = access_topic(user, public_id)
    back = _topic_url(topic)
    if not permissions.can_edit_topic(user, topic):
        return refuse(request, _("You may not edit this topic."), back)
    data, files = post_data(request)
    initial = TopicForm.initial_for(topic) if data is None else None
    form = TopicForm(data, files, community=topic.community, initial=initial)
    status = 200
    if data is not None:
        if form.is_valid():
            try:
                services.edit_topic(actor=user, topic=topic, **form.service_arguments())
            except ServiceError as exc:
                show_errors(request, exc)
            else:
                messages.success(request, _("The topic was updated."))
                return redirect(back)
        status = 400
    return render(request, "communities/topic_form.html", {
        "form": form, "community": topic.community, "topic": topic, "back": back,
        "editing": True,
    }, status=status)


def _reshare_targets(user, topic: Topic) -> tuple[QuerySet, dict[str, list[str]]]:
    """The communities the pass-on rule lets this user re-share the topic into, and for the
    others, each refusal's reason with the names of the communities it applies to."""
    # Notification channels carry observation notices only; they are no place to re-share into.
    candidates = (
        permissions.postable_communities(user, topic.community.environment_id)
        .exclude(pk=topic.community_id)
        .exclude(kind=CommunityKind.NOTIFICATION)
        .order_by("name")
    )
    if passes_anywhere(topic, actor_organisation_id=user.organisation_id):
        return candidates, {}
    item = topic_item(topic)
    candidates = list(candidates)
    destinations = community_destinations(candidates, author=user)
    allowed, refused = [], defaultdict(list)
    for community in candidates:
        reason = refusal(item, destinations[community.pk],
                         actor_organisation_id=user.organisation_id)
        if reason:
            refused[reason].append(community.name)
        else:
            allowed.append(community.pk)
    return Community.objects.filter(pk__in=allowed).order_by("name"), dict(refused)


def _topic_page(request: HttpRequest, topic: Topic, *, comment_form: CommentForm | None = None,
                reshare_data=None, status: int = 200) -> HttpResponse:
    user = request.user
    files = defaultdict(list)
    for attachment in topic.attachments.all():
        files[attachment.comment_id].append(attachment)
    comments = list(topic.comments.select_related("author__organisation"))
    for comment in comments:
        comment.files = files.get(comment.id, [])
    acknowledgements = list(topic.acknowledgements.select_related("user__organisation"))
    chosen = topic.audience_mode == AudienceMode.CHOSEN
    targets, reshare_refusals = _reshare_targets(user, topic)
    # Without refusals the form's own query says whether there is anywhere to share into.
    reshare_allowed = not reshare_refusals or targets.exists()
    # A refused re-share shows the choice again, checked against what is offered.
    reshare_form = ReshareForm(reshare_data, targets=targets) if reshare_allowed else None
    return render(request, "communities/topic_detail.html", {
        "topic": topic,
        "topic_files": files.get(None, []),
        "comments": comments,
        "acknowledgements": acknowledgements,
        "acknowledged": any(ack.user_id == user.id for ack in acknowledgements),
        "chosen": chosen,
        "audience_organisations": list(topic.audience_organisations.all()) if chosen else [],
        "audience_users": (list(topic.audience_users.select_related("organisation"))
                           if chosen else []),
        "can_manage": permissions.can_manage_community(user, topic.community),
        "can_edit": permissions.can_edit_topic(user, topic),
        "reshare_allowed": reshare_allowed,
        "reshare_form": reshare_form,
        "reshare_refusals": reshare_refusals,
        "comment_form": comment_form or CommentForm(),
    }, status=status)


@login_required
def topic_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    topic = access_topic(request.user, public_id)
    services.record_view(topic, reader=request.user)
    topic.view_count += 1
    mark_topic_read(request.user, topic)
    return _topic_page(request, topic)


@login_required
def topic_history(request: HttpRequest, public_id: str) -> HttpResponse:
    topic = access_topic(request.user, public_id)
    user = request.user
    in_consultation = topic.community.kind == CommunityKind.CONSULTATION
    # Only the versions this reader could read when they were written (and reads the topic now).
    revisions = [
        revision for revision in topic.revisions.select_related("edited_by__organisation")
        if revision_readable(
            reader_id=user.id, reader_organisation_id=user.organisation_id,
            reader_is_centre=user.organisation.is_centre, tlp=revision.tlp,
            audience_mode=revision.audience_mode,
            organisation_ids=revision.audience_organisation_ids,
            user_ids=revision.audience_user_ids, author_id=topic.author_id,
            author_organisation_id=topic.author_organisation_id,
            in_consultation=in_consultation)
    ]
    for revision in revisions:
        # Revisions keep the Markdown source only; render it the same (sanitised) way.
        revision.body_html = render_markdown(revision.body)
        revision.tlp_label = TLP(revision.tlp).label
        revision.tag_label = TopicTag(revision.tag).label if revision.tag else ""
    return render(request, "communities/topic_history.html", {
        "topic": topic, "revisions": revisions,
    })


@login_required
@require_POST
def comment_create(request: HttpRequest, public_id: str) -> HttpResponse:
    topic = access_topic(request.user, public_id)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            comment = services.add_comment(
                actor=request.user, topic=topic, body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
            )
        except ServiceError as exc:
            show_errors(request, exc)
        else:
            return redirect(_topic_url(topic, f"comment-{comment.id}"))
    return _topic_page(request, topic, comment_form=form, status=400)


@login_required
@require_POST
def acknowledge(request: HttpRequest, public_id: str) -> HttpResponse:
    """いいね！ The button says what it does (ack / withdraw), so a double submit changes
    nothing twice; without it, the request toggles."""
    topic = access_topic(request.user, public_id)
    action = request.POST.get("action")
    if action == "withdraw":
        services.withdraw_acknowledgement(actor=request.user, topic=topic)
    elif action == "ack":
        services.acknowledge(actor=request.user, topic=topic)
    elif not services.acknowledge(actor=request.user, topic=topic):
        services.withdraw_acknowledgement(actor=request.user, topic=topic)
    return redirect(_topic_url(topic, "ack"))


@login_required
@require_POST
def pin(request: HttpRequest, public_id: str) -> HttpResponse:
    topic = access_topic(request.user, public_id)
    wanted = request.POST.get("pinned")
    pinned = (wanted == "1") if wanted in {"0", "1"} else not topic.is_pinned
    try:
        services.set_pinned(actor=request.user, topic=topic, pinned=pinned)
    except ServiceError as exc:
        show_errors(request, exc)
        return _topic_page(request, topic, status=400)
    messages.success(request, _("The topic is now a must-see topic.") if pinned
                     else _("The topic is no longer a must-see topic."))
    return redirect(_topic_url(topic))


@login_required
@require_POST
def reshare(request: HttpRequest, public_id: str) -> HttpResponse:
    user = request.user
    topic = access_topic(user, public_id)
    # Any community the user may post in: the service asks the pass-on rule and names the
    # reason, also for a target the page did not offer.
    form = ReshareForm(request.POST, targets=permissions.postable_communities(user)
                       .exclude(kind=CommunityKind.NOTIFICATION))
    if form.is_valid():
        try:
            copy = services.reshare_topic(actor=user, topic=topic,
                                          community=form.cleaned_data["community"])
        except ServiceError as exc:
            show_errors(request, exc)
        else:
            messages.success(request, _("The topic was shared into %(name)s.")
                             % {"name": copy.community.name})
            return redirect(_topic_url(copy))
    else:
        # A target the page never offered (archived, not postable): say why, as the service would.
        for error in form.errors.get("community", []):
            messages.error(request, error)
    return _topic_page(request, topic, reshare_data=request.POST, status=400)


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """Only ever a download, and only when the attachment's topic is readable."""
    attachment = Attachment.objects.select_related("topic").filter(
        pk=attachment_id, topic__in=readable_topics(request.user)
    ).first()
    if attachment is None:
        raise Http404
    try:
        handle = default_storage.open(attachment.file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    services.record_download(attachment, request.user)
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response
