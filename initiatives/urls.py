from django.urls import include, path

from . import exports, views
from .curation import suggestions
from .providers import views as providers
from .shortlist import views as shortlist

app_name = "initiatives"

urlpatterns = [
    path("initiatives/", views.initiative_list, name="list"),
    path("initiatives/export.csv", exports.export_csv, name="export_csv"),
    path("initiatives/export.xlsx", exports.export_xlsx, name="export_xlsx"),
    path("initiatives/<slug:slug>/", views.initiative_detail, name="detail"),
    path("initiatives/<slug:slug>/suggest/", suggestions.suggest, name="suggest_correction"),
    path("initiatives/<slug:slug>/claim/", providers.claim, name="claim"),
    path("initiatives/<slug:slug>/claim/sent/", providers.claim_sent, name="claim_sent"),
    path("areas/", views.area_list, name="area_list"),
    path("areas/<slug:slug>/", views.area_detail, name="area_detail"),
    path("insights/", include("initiatives.insights.urls")),
    path("suggest/", suggestions.suggest, name="suggest"),
    path("shortlist/", shortlist.page, name="shortlist"),
    path("shortlist/add/", shortlist.add, name="shortlist_add"),
    path("shortlist/remove/", shortlist.remove, name="shortlist_remove"),
    path("shortlist/edit/", shortlist.edit, name="shortlist_edit"),
    path("shortlist/print/", shortlist.printable, name="shortlist_print"),
    path("s/<str:token>", shortlist.shared, name="shared"),
    path("s/<str:token>/qr.svg", shortlist.qr_code, name="shared_qr"),
    path("suggest/thanks/", suggestions.suggest_thanks, name="suggest_thanks"),
]
