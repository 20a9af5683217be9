"""The URLs of the insights page and its CSV downloads, included under /insights/.

No app_name: included from initiatives/urls.py, these names stay in its namespace
(initiatives:insights, initiatives:insights_csv), as the templates and views use them.
"""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.insights, name="insights"),
    path("<slug:table>.csv", views.insights_csv, name="insights_csv"),
]
