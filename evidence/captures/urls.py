from django.urls import path

from evidence.captures import views

app_name = "replay"

urlpatterns = [
    path("app/", views.replay_app, name="app"),
    path("app/<str:name>", views.replay_asset, name="asset"),
    path("embed/<str:token>/", views.replay_embed, name="embed"),
    path("wacz/<str:token>/capture.wacz", views.replay_wacz, name="wacz"),
]
