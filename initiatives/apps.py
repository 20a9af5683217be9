from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class InitiativesConfig(AppConfig):
    name = "initiatives"
    verbose_name = "Register"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import caching
        from .search import schema

        caching.connect_signals()

        # SQLite's search triggers must be out of the way while tables are rebuilt.
        pre_migrate.connect(schema.before_migrate, sender=self)
        post_migrate.connect(schema.after_migrate, sender=self)
        post_migrate.connect(caching.create_cache_table, sender=self)
