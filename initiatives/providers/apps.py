from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    """Providers keep their own listings current: claims, sign-in links, the provider area."""

    name = "initiatives.providers"
    label = "providers"
    verbose_name = "Providers"
