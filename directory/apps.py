from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = "Community Health Directory"

    def ready(self):
        # After a change, the home page's figures are counted again in the background
        # with the register's (initiatives.apps), so its first visitor finds them.
        from initiatives import caching

        from .views import warm_home_figures

        caching.on_new_version(warm_home_figures)
