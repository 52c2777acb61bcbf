from django.urls import path

from renkei.situation import views

app_name = "situation"
urlpatterns = [
    path("", views.index, name="index"),
    path("escalation/", views.escalation_list, name="escalation_list"),
    path("escalation/<str:pk>/", views.escalation_detail, name="escalation_detail"),
    path("escalation/<str:pk>/download.<str:fmt>", views.escalation_download,
         name="escalation_download"),
    path("summaries/", views.summary_list, name="summary_list"),
    path("cases/<str:pk>/summary/", views.summary_new, name="summary_new"),
    path("summaries/<str:pk>/", views.summary_detail, name="summary_detail"),
    path("summaries/<str:pk>/edit", views.summary_edit, name="summary_edit"),
    path("summaries/<str:pk>/review", views.summary_review, name="summary_review"),
    path("summaries/<str:pk>/publish", views.summary_publish, name="summary_publish"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("statistics/", views.statistics, name="statistics"),
    path("aliases/", views.aliases, name="aliases"),
]
