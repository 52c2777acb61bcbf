"""/taxii2/ at the server root (see `intel.taxii`). Every path ends in a slash; anything else
under /taxii2/ is a TAXII 404."""

from django.urls import path, re_path

from renkei.intel import taxii

app_name = "taxii"
urlpatterns = [
    path("", taxii.discovery, name="discovery"),
    path("<str:api_root>/", taxii.api_root, name="api_root"),
    path("<str:api_root>/status/<str:status_id>/", taxii.status, name="status"),
    path("<str:api_root>/collections/", taxii.collections, name="collections"),
    path("<str:api_root>/collections/<str:collection_id>/", taxii.collection, name="collection"),
    path("<str:api_root>/collections/<str:collection_id>/objects/", taxii.objects,
         name="objects"),
    path("<str:api_root>/collections/<str:collection_id>/objects/<str:object_id>/",
         taxii.object_detail, name="object"),
    path("<str:api_root>/collections/<str:collection_id>/objects/<str:object_id>/versions/",
         taxii.object_versions, name="versions"),
    path("<str:api_root>/collections/<str:collection_id>/manifest/", taxii.manifest,
         name="manifest"),
    re_path(r"^(?P<rest>.*)$", taxii.not_found, name="not_found"),
]
