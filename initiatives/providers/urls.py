from django.urls import path

from . import views

app_name = "providers"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("reminders/", views.reminders, name="reminders"),
    path("initiatives/<slug:slug>/", views.edit, name="edit"),
    path("initiatives/<slug:slug>/confirm/", views.confirm, name="confirm"),
]
