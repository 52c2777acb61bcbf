from django.urls import path

from renkei.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code_view, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/2fa/", views.totp_setup_view, name="totp_setup"),
    path("settings/tokens/", views.tokens_view, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("organisation/", views.organisation_view, name="organisation"),
    path("organisation/members/<int:user_id>/", views.member_edit_view, name="member_edit"),
    path("organisations/", views.organisations_view, name="organisations"),
    path("organisations/<int:organisation_id>/", views.organisation_view,
         name="organisation_detail"),
]
