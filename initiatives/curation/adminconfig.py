"""Django's admin app, with the curators' site (curation/site.py) as its default site."""

from django.contrib.admin.apps import AdminConfig


class CurationAdminConfig(AdminConfig):
    default_site = "initiatives.curation.site.CurationAdminSite"
