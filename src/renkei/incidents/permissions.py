"""Who may do what in the consultation window and the centre's case handling: one place.

Reading is decided in `sharing/incident_visibility.py`; these only gate changes.

- Any active person of an active organisation files reports (the consultation window is open to
  every participant); the reporter's organisation and the named bodies write in the thread
  (they read it, and every reader of a topic may comment).
- The reporter's organisation (its people) edits the report until its case is finished.
- Cases are handled by centre people holding a case-handling role (every centre role except
  risk assessor, whose work is the risk rounds); centre people without a role read the reports
  addressed to the centre like anyone named, but see no case, note or board.
- State changes follow TRANSITIONS; finishing a case (closed, duplicate, not an incident) and
  reopening a finished one need a commander or an incident controller (FINISHING_ROLES).
- Support requests to agencies: commander, incident controller, responder, liaison.
- Classes and response targets: commander and incident controller.
- Emergency contacts: the admins of the organisation they belong to.
"""

from renkei.accounts.models import CentreRole, OrganisationKind
from renkei.incidents.models import FINISHED_STATES, CaseState

CASE_ROLES = frozenset({
    CentreRole.COMMANDER, CentreRole.INCIDENT_CONTROLLER, CentreRole.RESPONDER,
    CentreRole.LIAISON, CentreRole.DUTY_OFFICER, CentreRole.ANALYST,
})
FINISHING_ROLES = frozenset({CentreRole.COMMANDER, CentreRole.INCIDENT_CONTROLLER})
SUPPORT_ROLES = frozenset({CentreRole.COMMANDER, CentreRole.INCIDENT_CONTROLLER,
                           CentreRole.RESPONDER, CentreRole.LIAISON})
SETTINGS_ROLES = FINISHING_ROLES

S = CaseState
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.TRIAGED, S.IN_PROGRESS, S.DUPLICATE, S.NOT_INCIDENT}),
    S.TRIAGED: frozenset({S.IN_PROGRESS, S.MONITORING, S.CLOSED, S.DUPLICATE, S.NOT_INCIDENT}),
    S.IN_PROGRESS: frozenset({S.TRIAGED, S.MONITORING, S.CLOSED, S.DUPLICATE, S.NOT_INCIDENT}),
    S.MONITORING: frozenset({S.IN_PROGRESS, S.CLOSED}),
    # Reopening a finished case.
    S.CLOSED: frozenset({S.IN_PROGRESS}),
    S.DUPLICATE: frozenset({S.TRIAGED}),
    S.NOT_INCIDENT: frozenset({S.TRIAGED}),
}

# Organisation kinds that read the whole emergency contacts directory.
DIRECTORY_READERS = frozenset({OrganisationKind.CENTRE, OrganisationKind.MINISTRY,
                               OrganisationKind.AGENCY, OrganisationKind.LAW_ENFORCEMENT})


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active
                and user.organisation.is_active)


def _roles(user) -> set[str]:
    cached = getattr(user, "_incident_roles", None)
    if cached is None:
        cached = user.centre_roles()
        user._incident_roles = cached
    return cached


def is_case_handler(user) -> bool:
    return (_signed_in(user) and user.organisation.kind == OrganisationKind.CENTRE
            and bool(_roles(user) & CASE_ROLES))


def _has(user, roles) -> bool:
    return is_case_handler(user) and bool(_roles(user) & roles)


def can_file_report(user) -> bool:
    return _signed_in(user)


def can_edit_report(user, report) -> bool:
    return _signed_in(user) and (user.organisation_id == report.organisation_id
                                 or user.id == report.reporter_id)


def allowed_transitions(user, state: str) -> list[str]:
    if not is_case_handler(user):
        return []
    finishing = _has(user, FINISHING_ROLES)
    return [s for s in CaseState.values if s in TRANSITIONS.get(state, ())
            and (finishing or (s not in FINISHED_STATES and state not in FINISHED_STATES))]


def can_transition(user, old: str, new: str) -> bool:
    return new in allowed_transitions(user, old)


def can_merge(user) -> bool:
    return _has(user, FINISHING_ROLES)


def can_request_support(user) -> bool:
    return _has(user, SUPPORT_ROLES)


def can_change_settings(user) -> bool:
    return _has(user, SETTINGS_ROLES)


def can_edit_contacts(user, organisation) -> bool:
    return _signed_in(user) and user.is_org_admin and user.organisation_id == organisation.id


def reads_whole_directory(user) -> bool:
    return _signed_in(user) and user.organisation.kind in DIRECTORY_READERS
