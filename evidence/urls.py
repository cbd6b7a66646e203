from django.urls import path

from evidence import views
from evidence.ais import views as views_ais
from evidence.images import views as views_images
from evidence.maps import views as views_maps

app_name = "evidence"

# The list ("", views.item_list, name "item-list") is routed by provenance.urls,
# which passes it the subject and tag rule of the search room above this one.
urlpatterns = [
    path("add/image/", views.image_add, name="add-image"),
    path("add/statement/", views.statement_add, name="add-statement"),
    path("add/document/", views.document_add, name="add-document"),
    path("add/link/", views.link_add, name="add-link"),
    path("add/wacz/", views.wacz_import, name="add-wacz"),
    path("add/ais/", views_ais.ais_add, name="add-ais"),
    path("<int:pk>/", views.item_detail, name="item-detail"),
    path("<int:pk>/status/", views.item_status, name="item-status"),
    path("<int:pk>/restrict/", views.item_restrict, name="item-restrict"),
    path("<int:pk>/scene/", views_maps.scene_edit, name="item-scene"),
    path("<int:pk>/reprocess/", views.item_reprocess, name="item-reprocess"),
    path("<int:pk>/original/", views.item_original, name="item-original"),
    path("<int:pk>/thumbnail/", views.item_thumbnail, name="item-thumbnail"),
    path("<int:pk>/display/", views.item_display, name="item-display"),
    path("<int:pk>/captures/diff/", views.capture_diff, name="capture-diff"),
    path(
        "<int:pk>/captures/<int:capture_id>/<slug:role>/",
        views.capture_file,
        name="capture-file",
    ),
    path("<int:pk>/annotate/", views_images.annotate, name="annotate"),
    path(
        "<int:pk>/annotations/<int:annotation_id>/end/",
        views_images.annotation_end,
        name="annotation-end",
    ),
    path("<int:pk>/compare/", views_images.compare, name="compare"),
    path("<int:pk>/ais/", views_ais.ais_detail, name="ais-detail"),
    path("<int:pk>/ais/status/", views_ais.ais_status, name="ais-status"),
    path("<int:pk>/ais/reanalyse/", views_ais.ais_reanalyse, name="ais-reanalyse"),
    path("<int:pk>/ais/reprocess/", views_ais.ais_reprocess, name="ais-reprocess"),
    path(
        "<int:pk>/ais/capture-start/",
        views_ais.ais_capture_start,
        name="ais-capture-start",
    ),
]
