"""The screens of an inspection's steps: record the checklist and findings, sign, decide on the findings."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from flows import selectors
from flows.models import CheckOutcome, Rating, Severity
from flows.services import inspections as services
from flows.services.assessments import responsible_people
from flows.views.steps import DraftSaved, StepView
from forms import spotchecks as forms
from forms.assessments import check_evidence


class InspectionStepView(StepView):
    def inspection(self):
        return self.request.task.process.inspection

    def context(self, **extra):
        insp = self.inspection()
        return {
            "task": self.request.task,
            "node": self.request.task.flow_task,
            "inspection": insp,
            "page": selectors.inspection_page(insp),
            "outcome_choices": CheckOutcome.choices,
            "severity_choices": Severity.choices,
            **extra,
        }


class RecordInspectionView(InspectionStepView):
    template_name = "flows/inspections/record.html"

    def context(self, **extra):
        context = super().context(**extra)
        posted = extra.get("posted")
        if posted:  # a refused form shows what was typed, not what was saved before (the files must be chosen again)
            for r in context["page"]["results"]:
                r.outcome = posted.get(f"outcome_{r.code}", r.outcome)
                r.note = posted.get(f"note_{r.code}", r.note)
            context["summary"] = posted.get("summary", "")
            context["finding"] = {name: posted.get(name, "") for name in forms.FindingForm.base_fields}
        else:
            context["summary"] = context["inspection"].summary
            context["finding"] = {}
        return context

    def act(self):
        insp, data, user = self.inspection(), self.request.POST, self.request.user
        action = data.get("action", "save")
        # whichever button was pressed, nothing typed is dropped: the checklist and summary are saved, and a finding
        # typed into its fieldset is added (or refused with what was typed kept)
        services.inspection_save(
            inspection=insp,
            by=user,
            results=forms.checklist_rows(data, insp.results.all()),
            summary=data.get("summary", ""),
        )
        said = _("The draft has been saved.")
        if action.startswith("remove_finding_"):
            services.finding_remove(inspection=insp, by=user, finding_id=int(action.rsplit("_", 1)[1] or 0))
            said = _("The finding has been removed.")
        files = self.request.FILES.getlist("evidence")
        if action == "add_finding" or forms.finding_typed(data) or files:
            d = self.valid_form(forms.FindingForm(data))
            services.finding_add(inspection=insp, by=user, files=[(f, check_evidence(f)) for f in files], **d)
            said = _("The finding has been added.")
        if action == "submit":
            services.inspection_submit(inspection=insp, by=user, activation=self.request.activation)
            return _("The record has been submitted for the other inspectors' signatures.")
        raise DraftSaved(said)


class SignInspectionView(InspectionStepView):
    template_name = "flows/inspections/sign.html"

    def blank_form(self):
        return forms.SignForm()

    def act(self):
        d = self.valid_form(forms.SignForm(self.request.POST))
        services.inspection_sign(
            inspection=self.inspection(),
            by=self.request.user,
            agree=self.form.agree,
            comment=d["comment"],
            activation=self.request.activation,
        )
        return _("You have signed the record.") if self.form.agree else _("The record was sent back.")


class ReviewInspectionView(InspectionStepView):
    template_name = "flows/inspections/review.html"

    def people(self):
        return list(responsible_people(self.inspection().organisation))

    def context(self, **extra):
        insp = self.inspection()
        return super().context(
            people=self.people(),
            assessment=services.assessment_for(insp),
            lower_choices=[(r.value, r.label) for r in Rating],
            **extra,
        )

    def act(self):
        insp, data = self.inspection(), self.request.POST
        findings = list(insp.findings.all())
        try:
            decisions = forms.finding_decisions(data, findings, self.people())
        except ValidationError as exc:
            raise ValidationError({"decisions": exc.messages}) from exc
        services.inspection_decide(
            inspection=insp,
            by=self.request.user,
            decisions=decisions,
            lower_rating_to=data.get("lower_rating_to", ""),
            rating_reason=data.get("rating_reason", ""),
            comment=data.get("comment", ""),
            activation=self.request.activation,
        )
        return _("The decision on the findings has been recorded.")
