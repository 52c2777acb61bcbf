from django.urls import path

from renkei.feeds import out, views

app_name = "feeds"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("import/", views.import_page, name="import"),
    path("runs/<str:run_id>/", views.run_detail, name="run"),
    path("runs/<str:run_id>/progress.json", views.run_progress, name="run_progress"),
    path("sources/", views.sources, name="sources"),
    path("sources/<int:pk>/<str:action>/", views.source_action, name="source_action"),
    path("topics/<str:public_id>/indicators/", views.topic_indicators, name="topic_indicators"),
    path("out/<str:collection_id>/bundle.json", out.bundle, name="bundle"),
    path("out/<str:collection_id>/indicators.csv", out.indicators_csv, name="csv"),
    path("out/<str:collection_id>/blocklist-<str:name>.txt", out.blocklist, name="blocklist"),
    path("out/<str:collection_id>/misp/manifest.json", out.misp_manifest, name="misp_manifest"),
    path("out/<str:collection_id>/misp/hashes.csv", out.misp_hashes, name="misp_hashes"),
    path("out/<str:collection_id>/misp/<str:event_id>.json", out.misp_event, name="misp_event"),
]
