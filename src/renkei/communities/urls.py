from django.urls import path

from renkei.communities import export_views, search_views, views

app_name = "communities"

urlpatterns = [
    path("", views.home, name="home"),
    path("communities/", views.community_list, name="list"),
    path("communities/new/", views.community_create, name="create"),
    path("communities/<int:community_id>/", views.community_detail, name="detail"),
    path("communities/<int:community_id>/join/", views.community_join, name="join"),
    path("communities/<int:community_id>/leave/", views.community_leave, name="leave"),
    path("communities/<int:community_id>/members/", views.members, name="members"),
    path("communities/<int:community_id>/members/<int:membership_id>/approve/",
         views.member_approve, name="member_approve"),
    path("communities/<int:community_id>/members/<int:membership_id>/remove/",
         views.member_remove, name="member_remove"),
    path("communities/<int:community_id>/topics/new/", views.topic_create, name="topic_create"),
    path("topics/export.csv", export_views.export_csv, name="export_csv"),
    path("topics/export.xlsx", export_views.export_xlsx, name="export_xlsx"),
    path("topics/", search_views.search, name="search"),
    path("topics/<str:public_id>/", views.topic_detail, name="topic"),
    path("topics/<str:public_id>/edit/", views.topic_edit, name="topic_edit"),
    path("topics/<str:public_id>/history/", views.topic_history, name="topic_history"),
    path("topics/<str:public_id>/comments/", views.comment_create, name="comment_create"),
    path("topics/<str:public_id>/ack/", views.acknowledge, name="acknowledge"),
    path("topics/<str:public_id>/pin/", views.pin, name="pin"),
    path("topics/<str:public_id>/reshare/", views.reshare, name="reshare"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
