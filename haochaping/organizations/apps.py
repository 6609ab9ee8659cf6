from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "haochaping.organizations"
    label = "organizations"
    verbose_name = "组织机构"
