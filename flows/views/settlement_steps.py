"""The oversight office's screen for settling a cycle's ratings (等次审定) before they are published."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from flows.selectors import results
from flows.selectors.holders import may_pass_on
from flows.services import results as services
from flows.views.steps import StepView
from forms.results import lowered_ratings


class SettleRatingsView(StepView):
    template_name = "flows/results/settle.html"

    def settlement(self):
        return self.request.task.process.rating_settlement

    def subject(self):
        return self.settlement()

    def context(self, **extra):
        posted = extra.get("posted")
        return {
            "task": self.request.task,
            "node": self.request.task.flow_task,
            "settlement": self.settlement(),
            "page": results.settlement_page(self.settlement(), posted=posted),
            "posted": posted,
            "pass_on": may_pass_on(self.request.user, self.request.task),
            **extra,
        }

    def get(self, request, **kwargs):
        return render(request, self.template_name, self.context())

    def act(self):
        services.ratings_settle(
            settlement=self.settlement(),
            by=self.request.user,
            lowered=lowered_ratings(self.request.POST),
            override_reason=self.request.POST.get("override_reason", ""),
            activation=self.request.activation,
        )
        return _("The ratings are settled; the results can now be published.")
