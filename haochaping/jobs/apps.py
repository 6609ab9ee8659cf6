from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "haochaping.jobs"
    label = "jobs"
    verbose_name = "后台任务"
