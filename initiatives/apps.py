from django.apps import AppConfig


class InitiativesConfig(AppConfig):
    name = "initiatives"
    verbose_name = "Register"
    default_auto_field = "django.db.models.BigAutoField"
