from django.apps import AppConfig


class CurationConfig(AppConfig):
    """Curators' tools: the admin, suggestions from the public, the CSV upload, history."""

    name = "initiatives.curation"
    label = "curation"
    verbose_name = "Curation"
