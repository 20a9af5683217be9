from django.apps import AppConfig
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_init,
    post_migrate,
    post_save,
    pre_delete,
    pre_migrate,
    pre_save,
)


class InitiativesConfig(AppConfig):
    name = "initiatives"
    verbose_name = "Register"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from places.signals import postcodes_imported

        from . import caching, models
        from .search import schema
        from .services import closure
        from .services.locations import on_postcodes_imported

        # The figures cache is out of date whenever a counted record or link changes.
        caching.connect_signals(
            models=[
                models.Area,
                models.Initiative,
                models.VanguardSite,
                models.Condition,
                models.FundingLine,
                models.Organisation,
                models.PopulationGroup,
                models.Topic,
            ],
            links=[
                models.Initiative.areas.through,
                models.Initiative.conditions.through,
                models.Initiative.topics.through,
                models.Initiative.population_groups.through,
                models.Area.other_parents.through,
                models.VanguardSite.areas.through,
            ],
        )
        # After a change, the whole register's facet counts and its insights are counted
        # again in the background, so the first visitor finds them (DJANGO_FIGURES_WARM).
        from .insights.page import warm_insights
        from .listing.facets import warm_register_counts

        caching.on_new_version(warm_register_counts)
        caching.on_new_version(warm_insights)
        # The area closure follows the initiatives' areas and the area tree.
        uid = "area-closure"
        areas_link, parents_link = (
            models.Initiative.areas.through,
            models.Area.other_parents.through,
        )
        m2m_changed.connect(closure.on_areas_changed, sender=areas_link, dispatch_uid=uid)
        m2m_changed.connect(closure.on_other_parents_changed, sender=parents_link, dispatch_uid=uid)
        pre_save.connect(closure.on_area_pre_save, sender=models.Area, dispatch_uid=uid)
        post_save.connect(closure.on_area_saved, sender=models.Area, dispatch_uid=uid)
        pre_delete.connect(closure.on_area_pre_delete, sender=models.Area, dispatch_uid=uid)
        post_delete.connect(closure.on_area_deleted, sender=models.Area, dispatch_uid=uid)
        # ... and the district an initiative is located in ("here" for it and above).
        post_init.connect(closure.on_initiative_loaded, sender=models.Initiative, dispatch_uid=uid)
        post_save.connect(closure.on_initiative_saved, sender=models.Initiative, dispatch_uid=uid)
        # The facet tally follows what an initiative's keys are made of (its areas come
        # with the closure's syncs, above).
        from .services import tally

        uid = "facet-tally"
        post_init.connect(tally.on_initiative_loaded, sender=models.Initiative, dispatch_uid=uid)
        post_save.connect(tally.on_initiative_saved, sender=models.Initiative, dispatch_uid=uid)
        post_delete.connect(tally.on_initiative_deleted, sender=models.Initiative, dispatch_uid=uid)
        for link in (
            models.Initiative.topics.through,
            models.Initiative.population_groups.through,
            models.Initiative.conditions.through,
        ):
            m2m_changed.connect(tally.on_links_changed, sender=link, dispatch_uid=uid)
        for value in (models.Topic, models.PopulationGroup, models.Condition, models.VanguardSite):
            pre_delete.connect(tally.on_value_pre_delete, sender=value, dispatch_uid=uid)
            post_delete.connect(tally.on_value_deleted, sender=value, dispatch_uid=uid)
        post_init.connect(
            tally.on_organisation_loaded, sender=models.Organisation, dispatch_uid=uid
        )
        post_save.connect(tally.on_organisation_saved, sender=models.Organisation, dispatch_uid=uid)
        models.funding_recomputed.connect(tally.on_funding_recomputed, dispatch_uid=uid)
        # Records saved before the postcode directory was imported get their location.
        postcodes_imported.connect(on_postcodes_imported, dispatch_uid="initiatives-locate")

        # SQLite's search triggers must be out of the way while tables are rebuilt.
        pre_migrate.connect(schema.before_migrate, sender=self)
        post_migrate.connect(schema.after_migrate, sender=self)
        post_migrate.connect(caching.create_cache_table, sender=self)
