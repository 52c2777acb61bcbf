from django.urls import path

from renkei.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.report_list, name="reports"),
    path("guide/", views.guide, name="guide"),
    path("new/", views.report_new, name="new"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/comment/", views.report_comment, name="report_comment"),
    path("cases/", views.case_list, name="list"),
    path("board/", views.case_board, name="board"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/update/", views.case_update, name="case_update"),
    path("cases/<int:pk>/note/", views.case_note, name="case_note"),
    path("cases/<int:pk>/task/", views.case_task, name="case_task"),
    path("cases/<int:pk>/task/<int:task_id>/", views.task_update, name="task_update"),
    path("cases/<int:pk>/link/", views.case_link, name="case_link"),
    path("cases/<int:pk>/merge/", views.case_merge, name="case_merge"),
    path("cases/<int:pk>/support/", views.support_new, name="support_new"),
    path("support/<int:pk>/", views.support_detail, name="support"),
    path("support/<int:pk>/comment/", views.support_comment, name="support_comment"),
    path("duty-log/", views.duty_log, name="duty_log"),
    path("settings/", views.case_settings, name="settings"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/edit/", views.contacts_edit, name="contacts_edit"),
]
