"""The oversight office's screen for an objection to a published rating."""

from django.utils.translation import gettext as _

from flows.models import Rating
from flows.services import publications as services
from flows.views.steps import StepView
from forms.publications import ObjectionDecisionForm


class DecideObjectionView(StepView):
    template_name = "flows/publications/decide_objection.html"

    def objection(self):
        return self.request.task.process.objection

    def subject(self):
        return self.objection().assessment

    def context(self, **extra):
        return super().context(objection=self.objection(), rating_choices=Rating.choices, **extra)

    def blank_form(self):
        return ObjectionDecisionForm()

    def act(self):
        d = self.valid_form(ObjectionDecisionForm(self.request.POST))
        services.objection_decide(
            objection=self.objection(),
            by=self.request.user,
            uphold=self.form.uphold,
            response=d["response"],
            new_rating=d["new_rating"],
            activation=self.request.activation,
        )
        return (
            _("The objection was upheld and the rating changed.")
            if self.form.uphold
            else _("The objection was dismissed.")
        )
