from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """Rating intake: every channel's rating comes in through ``services.rating_receive``.

    No models: the layer above ``rectification`` (a bad rating opens its case in the rating's
    transaction) and below ``outreach`` (a rating given on the phone comes in here too).
    """

    name = "haochaping.intake"
    label = "intake"
    verbose_name = "评价受理"
