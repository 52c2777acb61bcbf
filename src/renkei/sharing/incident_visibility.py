"""Who reads reports, cases, internal notes, support requests and emergency contacts.

Built on `visibility.readable_topics`, so a report and a support request are read exactly by
those who read their topic:
- a report: the centre, the reporting organisation and the bodies the reporter named (the
  report's topic names them as its chosen audience);
- a support request: the centre, the one agency asked and, if the centre allowed it, the
  reporting organisation;
- a case, its timeline, tasks, links, internal notes and duty log: centre people holding a
  case-handling role (`incidents.permissions.is_case_handler`), and only for reports they read;
- the emergency contacts directory: the centre, ministries, agencies and law enforcement read
  every active organisation's contacts; everyone else reads their own organisation's and the
  centre's.
Single objects answer 404 alike for missing and forbidden.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from renkei.sharing.models import LIVE_ENVIRONMENT_ID
from renkei.sharing.visibility import readable_topics


def _pk(raw) -> int:
    if isinstance(raw, int):
        return raw
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 18:
        raise Http404
    return int(raw)


def readable_reports(user, environment_id: int = LIVE_ENVIRONMENT_ID) -> QuerySet:
    from renkei.incidents.models import Report

    return Report.objects.filter(topic__in=readable_topics(user, environment_id).values("id"))


def readable_cases(user, environment_id: int = LIVE_ENVIRONMENT_ID) -> QuerySet:
    from renkei.incidents.models import Case
    from renkei.incidents.permissions import is_case_handler

    if not is_case_handler(user):
        return Case.objects.none()
    return Case.objects.filter(
        report__topic__in=readable_topics(user, environment_id).values("id"))


def readable_case_notes(user, environment_id: int = LIVE_ENVIRONMENT_ID) -> QuerySet:
    from renkei.incidents.models import CaseNote

    return CaseNote.objects.filter(case__in=readable_cases(user, environment_id).values("id"))


def readable_duty_log(user) -> QuerySet:
    from renkei.incidents.models import DutyLogEntry
    from renkei.incidents.permissions import is_case_handler

    if not is_case_handler(user):
        return DutyLogEntry.objects.none()
    return DutyLogEntry.objects.all()


def readable_support_requests(user, environment_id: int = LIVE_ENVIRONMENT_ID) -> QuerySet:
    from renkei.incidents.models import SupportRequest

    return SupportRequest.objects.filter(
        topic__in=readable_topics(user, environment_id).values("id"))


def readable_contacts(user) -> QuerySet:
    from renkei.accounts.models import OrganisationKind
    from renkei.incidents.models import EmergencyContact
    from renkei.incidents.permissions import reads_whole_directory

    if user is None or not user.is_authenticated or not user.is_active \
            or not user.organisation.is_active:
        return EmergencyContact.objects.none()
    active = EmergencyContact.objects.filter(organisation__is_active=True)
    if reads_whole_directory(user):
        return active
    return active.filter(Q(organisation_id=user.organisation_id)
                         | Q(organisation__kind=OrganisationKind.CENTRE))


def access_report(user, pk, environment_id: int = LIVE_ENVIRONMENT_ID):
    report = (readable_reports(user, environment_id)
              .select_related("topic", "topic__community", "organisation", "reporter",
                              "reporter__organisation")
              .filter(pk=_pk(pk)).first())
    if report is None:
        raise Http404
    return report


def access_case(user, pk, environment_id: int = LIVE_ENVIRONMENT_ID):
    case = (readable_cases(user, environment_id)
            .select_related("report", "report__topic", "report__topic__community",
                            "organisation", "classification", "assignee",
                            "assignee__organisation")
            .filter(pk=_pk(pk)).first())
    if case is None:
        raise Http404
    return case


def access_support_request(user, pk, environment_id: int = LIVE_ENVIRONMENT_ID):
    request = (readable_support_requests(user, environment_id)
               .select_related("topic", "agency", "case")
               .filter(pk=_pk(pk)).first())
    if request is None:
        raise Http404
    return request
