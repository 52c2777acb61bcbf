from django.contrib.auth.backends import ModelBackend

from renkei.accounts.models import User


class EmailBackend(ModelBackend):
    """Sign-in by e-mail address (any case); people of a deactivated organisation cannot."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        address = (email or username or "").strip().lower()
        if not address or password is None:
            return None
        user = User.objects.select_related("organisation").filter(email=address).first()
        if user is None:
            User().set_password(password)  # same time spent as for a real account
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user) -> bool:
        return user.is_active and user.organisation.is_active

    def get_user(self, user_id):
        user = User.objects.select_related("organisation").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
