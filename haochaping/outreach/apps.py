from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "haochaping.outreach"
    label = "outreach"
    verbose_name = "回访、邀评与诉求"
