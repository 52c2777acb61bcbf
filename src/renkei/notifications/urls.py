from django.urls import path

from renkei.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.mark_all_read, name="mark_all_read"),
    path("settings/", views.notification_settings, name="settings"),
]
