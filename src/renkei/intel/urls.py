from django.urls import path

from renkei.intel import views

app_name = "intel"
urlpatterns = [
    path("", views.indicator_list, name="indicators"),
    path("objects/<int:pk>/", views.object_detail, name="object"),
    path("objects/<int:pk>/sightings/", views.report_sighting, name="report_sighting"),
]
