from django.urls import path

from . import views

app_name = "initiatives"

urlpatterns = [
    path("initiatives/<slug:slug>/", views.initiative_detail, name="detail"),
    path("areas/<slug:slug>/", views.area_detail, name="area_detail"),
]
