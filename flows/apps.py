from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowsConfig(AppConfig):
    name = "flows"
    verbose_name = _("Responsibility system")

    def ready(self):
        from flows import flows  # noqa: F401 - the flows register themselves with the services that start them
        from flows.live import signals  # noqa: F401 - connects the inbox push (infrastructure only)
