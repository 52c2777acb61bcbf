from django.urls import path

from renkei.evaluations import views

app_name = "evaluations"
urlpatterns = [
    path("", views.evaluation_list, name="list"),
    path("new/", views.evaluation_create, name="create"),
    path("findings/", views.finding_list, name="findings"),
    path("checklists/", views.template_list, name="templates"),
    path("checklists/new/", views.template_edit, name="template_create"),
    path("checklists/<int:template_id>/", views.template_edit, name="template_edit"),
    path("evidence/<int:evidence_id>/", views.evidence_download, name="evidence"),
    path("<int:evaluation_id>/", views.evaluation_detail, name="detail"),
    path("<int:evaluation_id>/edit/", views.evaluation_edit, name="edit"),
    path("<int:evaluation_id>/advance/", views.evaluation_advance, name="advance"),
    path("<int:evaluation_id>/report/", views.report_page, name="report"),
    path("<int:evaluation_id>/report.pdf", views.report_pdf, name="report_pdf"),
    path("<int:evaluation_id>/scenarios/new/", views.scenario_edit, name="scenario_create"),
    path("<int:evaluation_id>/scenarios/<int:scenario_id>/", views.scenario_edit,
         name="scenario_edit"),
    path("<int:evaluation_id>/scenarios/<int:scenario_id>/delete/", views.scenario_delete,
         name="scenario_delete"),
    path("<int:evaluation_id>/checklists/", views.checklist_add, name="checklist_add"),
    path("<int:evaluation_id>/items/new/", views.item_create, name="item_create"),
    path("<int:evaluation_id>/items/<int:item_id>/", views.item_detail, name="item"),
    path("<int:evaluation_id>/items/<int:item_id>/delete/", views.item_delete,
         name="item_delete"),
    path("<int:evaluation_id>/findings/new/", views.finding_edit, name="finding_create"),
    path("<int:evaluation_id>/findings/<int:finding_id>/", views.finding_detail,
         name="finding"),
    path("<int:evaluation_id>/findings/<int:finding_id>/edit/", views.finding_edit,
         name="finding_edit"),
]
