from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(settings.ADMIN_PATH, admin.site.urls),
    path("api/v1/", include("initiatives.api.urls")),
    path("provider/", include("initiatives.providers.urls")),
    path("", include("initiatives.urls")),
]

handler400 = "directory.views.bad_request"
handler403 = "directory.views.permission_denied"
handler404 = "directory.views.page_not_found"
handler500 = "directory.views.server_error"
