from django.urls import path

from renkei.risk import views

app_name = "risk"
urlpatterns = [
    path("", views.home, name="home"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("rounds/<int:pk>/advance/", views.round_advance, name="round_advance"),
    path("rounds/<int:pk>/template.xlsx", views.round_template, name="round_template"),
    path("rounds/<int:pk>/draft/", views.start_draft, name="start_draft"),
    path("rounds/<int:pk>/feedback/", views.feedback_generate, name="feedback_generate"),
    path("rounds/<int:pk>/distribution/", views.distribution, name="distribution"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/rows/", views.submission_rows, name="submission_rows"),
    path("submissions/<int:pk>/pdca/", views.submission_pdca, name="submission_pdca"),
    path("submissions/<int:pk>/upload/", views.submission_upload, name="submission_upload"),
    path("submissions/<int:pk>/submit/", views.submission_submit, name="submission_submit"),
    path("submissions/<int:pk>/assessment.xlsx", views.submission_xlsx,
         name="submission_xlsx"),
    path("feedback/<int:pk>/", views.feedback_detail, name="feedback"),
    path("feedback/<int:pk>/report.xlsx", views.feedback_xlsx_view, name="feedback_xlsx"),
    path("feedback/<int:pk>/report.pdf", views.feedback_pdf_view, name="feedback_pdf"),
    path("feedback/<int:pk>/comment/", views.feedback_comment, name="feedback_comment"),
    path("feedback/<int:pk>/release/", views.feedback_release, name="feedback_release"),
    path("organisations/<int:pk>/", views.organisation, name="organisation"),
    path("catalogue/", views.catalogue_list, name="catalogue_list"),
    path("catalogue/draft/", views.catalogue_draft, name="catalogue_draft"),
    path("catalogue/<int:number>/", views.catalogue_detail, name="catalogue"),
    path("catalogue/<int:number>/edit/", views.catalogue_edit, name="catalogue_edit"),
    path("catalogue/<int:number>/publish/", views.catalogue_publish, name="catalogue_publish"),
    path("catalogue/<int:number>/source/", views.catalogue_source, name="catalogue_source"),
]
