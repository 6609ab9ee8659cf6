from django.apps import AppConfig


class RectificationConfig(AppConfig):
    name = "haochaping.rectification"
    label = "rectification"
    verbose_name = "差评整改"
