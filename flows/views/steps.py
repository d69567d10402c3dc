"""The screens of the cycle's steps. Each shows what the step needs, calls one service, and redirects."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from flows import selectors
from flows.models import OUTCOMES_BY_RATING, Stage
from flows.selectors import rectification as rectification_selectors
from flows.selectors import results
from flows.selectors.holders import may_pass_on, next_steps
from flows.selectors.tasks import process_subject
from flows.services import assessments as services
from flows.services import rectification as rectification_services
from flows.services.evidence import files_removed_on_failure
from flows.services.tasks import AlreadyHandled
from flows.views.tasks import already_handled
from forms import assessments as forms
from forms import rectification as rectification_forms


def next_step_words(process) -> list[str]:
    """“Next: 审核自评 — 刘建国, due 2026-12-10” for each open step of the process (or 待认领 when nobody has it)."""
    words = []
    for step in next_steps(process):
        who = step["owner"].real_name or step["owner"].username if step["owner"] else _("waiting to be claimed")
        text = _("Next: %(step)s — %(who)s") % {"step": step["title"], "who": who}
        if step["due"]:
            text += _(", due %(due)s") % {"due": step["due"].isoformat()}
        words.append(text + "。")
    return words


def labelled_errors(form) -> dict[str, list[str]]:
    """A refused form's errors, each message led by its field's label (“发现问题：这个字段是必填项。”): the step
    screens list them above the form, away from the fields."""
    out = {}
    for name, messages_ in form.errors.items():
        field = form.fields.get(name)
        label = field.label if field is not None and field.label else ""
        out[name] = [_("%(label)s: %(message)s") % {"label": label, "message": m} if label else m for m in messages_]
    return out


class DraftSaved(Exception):  # noqa: N818 - a signal, not an error
    """Work was saved without completing the task: stay on the page."""


class StepView(View):
    template_name = ""
    title = ""

    def subject(self):
        # with what every step screen shows of it (its cycle, organisation and indicator template) in one query
        return process_subject(self.request.task.process, "assessment")

    def context(self, **extra):
        assessment = self.subject()
        page = selectors.assessment_page(self.request.user, assessment)
        posted = extra.get("posted")
        errors = extra.get("errors") or {}
        if posted:  # a refused form shows what was typed, not what was saved before, and marks the rows refused
            for dim in page["dimensions"]:
                for row in dim["rows"]:
                    pk = row["indicator"].pk
                    row["posted_points"] = posted.get(f"points_{pk}")
                    row["posted_note"] = posted.get(f"note_{pk}")
                    row["errors"] = errors.get(f"points_{pk}", []) + errors.get(f"evidence_{pk}", [])
        return {
            "task": self.request.task,
            "node": self.request.task.flow_task,
            "assessment": assessment,
            "page": page,
            "pass_on": may_pass_on(self.request.user, self.request.task),
            **extra,
        }

    def get(self, request, **kwargs):
        return render(request, self.template_name, self.context(form=self.blank_form()))

    def blank_form(self):
        return None

    def act_all_or_nothing(self) -> tuple[str, bool]:
        """(message, stay on the page) of `act`, run in one transaction: a refused form stores nothing, its
        files and audit rows included. A draft saved without completing the task is kept."""
        with files_removed_on_failure(), transaction.atomic():
            try:
                return self.act(), False
            except DraftSaved as saved:
                return str(saved), True

    def post(self, request, **kwargs):
        try:
            message, stay = self.act_all_or_nothing()
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            return render(
                request,
                self.template_name,
                self.context(errors=errors, form=getattr(self, "form", None), posted=request.POST),
                status=400,
            )
        except AlreadyHandled as exc:
            return already_handled(request, request.task, str(exc))
        except PermissionDenied as exc:
            return render(request, "403.html", {"message": str(exc)}, status=403)
        if not stay:
            message = " ".join([message, *next_step_words(request.task.process)])
        messages.success(request, message)
        return redirect(request.path if stay else "home")

    def valid_form(self, form):
        self.form = form
        if not form.is_valid():
            raise ValidationError(labelled_errors(form))
        return form.cleaned_data

    def act(self):
        raise NotImplementedError


class DecisionStepView(StepView):
    """Approve, or send back / reject with a reason: the shape of several steps."""

    stage = ""
    approved_message = rejected_message = ""

    def blank_form(self):
        return forms.DecisionForm(initial={"expected_state": self.stage})

    def decide(self, *, approve, comment, expected_state):
        raise NotImplementedError

    def act(self):
        d = self.valid_form(forms.DecisionForm(self.request.POST))
        self.decide(approve=self.form.approve, comment=d["comment"], expected_state=d["expected_state"])
        return str(self.approved_message if self.form.approve else self.rejected_message)  # translated now


class DraftSelfView(StepView):
    template_name = "flows/steps/draft_self.html"

    def act(self):
        a, data = self.subject(), self.request.POST
        indicators = a.template_items()
        files, refused = [], {}
        for ind in indicators:
            upload = self.request.FILES.get(f"evidence_{ind.pk}")
            if upload:
                try:
                    files.append((upload, forms.check_evidence(upload), ind))
                except ValidationError as exc:  # told together with the points' mistakes, by the service
                    refused[f"evidence_{ind.pk}"] = exc.messages
        submit = data.get("action") == "submit"
        services.self_assessment_draft(
            assessment=a,
            by=self.request.user,
            files=files,
            scores=forms.score_rows(data, indicators),
            report=data.get("report", ""),
            expected_state=data.get("expected_state"),
            submit=submit,
            activation=self.request.activation,
            refused_files=refused,
        )
        if submit:
            return _("The self-assessment has been submitted to the secretary.")
        raise DraftSaved(_("The draft has been saved."))


class ApproveSelfView(DecisionStepView):
    template_name = "flows/steps/approve_self.html"
    stage = Stage.SELF_APPROVAL
    approved_message = gettext_lazy("The self-assessment has been approved.")
    rejected_message = gettext_lazy("The draft has been sent back.")

    def decide(self, **decision):
        services.self_assessment_decide(
            assessment=self.subject(), by=self.request.user, activation=self.request.activation, **decision
        )


class CloseMassView(StepView):
    template_name = "flows/steps/close_mass.html"

    def blank_form(self):
        return forms.MassCloseForm(initial={"expected_state": Stage.MASS_EVALUATION})

    def act(self):
        d = self.valid_form(forms.MassCloseForm(self.request.POST))
        services.mass_evaluation_close(
            assessment=self.subject(),
            by=self.request.user,
            mass_score=d["mass_score"],
            activation=self.request.activation,
            expected_state=d["expected_state"],
        )
        return _("The mass evaluation is closed; the superior review has started.")


class ReviewView(StepView):
    template_name = "flows/steps/review.html"

    def context(self, **extra):
        a = self.subject()
        return super().context(
            draft=results.draft_result(a),
            outcomes_by_rating=OUTCOMES_BY_RATING,
            people=services.responsible_people(a.organisation),
            rect_rows=range(1, forms.RECTIFICATION_ROWS + 1),
            **extra,
        )

    def blank_form(self):
        return forms.ReviewOutcomeForm()

    def act(self):
        a, data, user = self.subject(), self.request.POST, self.request.user
        indicators = list(a.template.indicators.all())
        services.review_save(
            assessment=a,
            by=user,
            scores=forms.score_rows(data, indicators),
            veto_hits=data.getlist("veto"),
            comment=data.get("review_comment", ""),
            expected_state=data.get("expected_state"),
        )
        if data.get("action") != "submit":
            raise DraftSaved(_("The scores have been saved."))
        d = self.valid_form(forms.ReviewOutcomeForm(data))
        people = list(services.responsible_people(a.organisation))
        nominee = next((p for p in people if p.pk == d["commendation_nominee"]), None)
        commendation = {"kind": d["commendation_kind"], "nominee": nominee, "reason": d["commendation_reason"]}
        services.review_submit(
            assessment=a,
            by=user,
            outcome=d["outcome"],
            commendation=commendation,
            rectification_items=forms.rectification_rows(data, people),
            activation=self.request.activation,
        )
        return _("The review has been submitted.")


class DecideCommendationView(DecisionStepView):
    template_name = "flows/steps/decide_commendation.html"
    stage = Stage.COMMENDATION
    approved_message = gettext_lazy("The commendation has been approved.")
    rejected_message = gettext_lazy("The commendation was rejected.")

    def decide(self, **decision):
        services.commendation_decide(
            assessment=self.subject(), by=self.request.user, activation=self.request.activation, **decision
        )


class ProposeAccountabilityView(StepView):
    template_name = "flows/steps/propose_accountability.html"

    def people(self):
        return list(services.accountable_people(self.subject()))

    def blank_form(self):
        return forms.AccountabilityProposalForm(people=self.people(), initial={"expected_state": Stage.ACCOUNTABILITY})

    def act(self):
        d = self.valid_form(forms.AccountabilityProposalForm(self.request.POST, people=self.people()))
        services.accountability_propose(
            assessment=self.subject(),
            by=self.request.user,
            kind=d["kind"],
            persons=self.form.chosen_people(),
            reason=d["reason"],
            activation=self.request.activation,
            expected_state=d["expected_state"],
        )
        return _("The measure has been proposed; a second officer decides on it.")


class DecideAccountabilityView(DecisionStepView):
    template_name = "flows/steps/decide_accountability.html"
    stage = Stage.ACCOUNTABILITY
    approved_message = gettext_lazy("The measure has been approved.")
    rejected_message = gettext_lazy("The measure was rejected.")

    def context(self, **extra):
        measure = self.subject().accountability_measures.filter(decision="").first()
        return super().context(measure=measure, **extra)

    def decide(self, **decision):
        services.accountability_decide(
            assessment=self.subject(), by=self.request.user, activation=self.request.activation, **decision
        )


class ReportRectificationView(StepView):
    template_name = "flows/steps/report_rectification.html"

    def item(self):
        return self.request.task.process.rectification_item

    def subject(self):
        return self.item().assessment

    def context(self, **extra):
        (item,) = rectification_selectors.items_in_depth([self.item()])
        return super().context(item=item, **extra)

    def blank_form(self):
        return forms.ReportForm()

    def act(self):
        if "extension" in self.request.POST:
            d = self.valid_form(forms.ExtensionRequestForm(self.request.POST))
            services.extension_request(item=self.item(), by=self.request.user, activation=self.request.activation, **d)
            return _("The extension request has been sent to the reviewer.")
        d = self.valid_form(forms.ReportForm(self.request.POST))
        upload = self.request.FILES.get("evidence")
        if upload:
            content_type = forms.check_evidence(upload)
            services.evidence_add(
                assessment=self.subject(),
                by=self.request.user,
                upload=upload,
                content_type=content_type,
                item=self.item(),
            )
        services.rectification_report(
            item=self.item(), by=self.request.user, report=d["report"], activation=self.request.activation
        )
        return _("The report has been sent for verification.")


class VerifyRectificationView(ReportRectificationView):
    template_name = "flows/steps/verify_rectification.html"

    def blank_form(self):
        return forms.VerifyForm()

    def act(self):
        d = self.valid_form(forms.VerifyForm(self.request.POST))
        services.rectification_verify(
            item=self.item(),
            by=self.request.user,
            verified=self.form.verified,
            comment=d["comment"],
            activation=self.request.activation,
        )
        return _("The item has been verified.") if self.form.verified else _("The item was returned.")


class DecideExtensionView(ReportRectificationView):
    template_name = "flows/steps/decide_extension.html"

    def blank_form(self):
        return forms.ExtensionDecisionForm()

    def act(self):
        d = self.valid_form(forms.ExtensionDecisionForm(self.request.POST))
        grant = d["decision"] == "grant"
        services.extension_decide(
            item=self.item(),
            by=self.request.user,
            grant=grant,
            comment=d["comment"],
            activation=self.request.activation,
        )
        return _("The extension has been granted.") if grant else _("The extension was refused.")


class RecheckRectificationView(ReportRectificationView):
    """回头看: the reviewing side confirms that the rectification holds, or reopens the item with a new due date."""

    template_name = "flows/steps/recheck_rectification.html"

    def blank_form(self):
        return rectification_forms.RecheckForm()

    def act(self):
        d = self.valid_form(rectification_forms.RecheckForm(self.request.POST))
        rectification_services.recheck_decide(
            item=self.item(),
            by=self.request.user,
            confirm=self.form.confirm,
            comment=d["comment"],
            new_due=d["new_due"],
            activation=self.request.activation,
        )
        if self.form.confirm:
            return _("The re-check has been recorded: the rectification holds.")
        return _("The item has been reopened and sent back to its owner.")


class GuidanceCommentView(StepView):
    template_name = "flows/steps/guidance_comment.html"

    def comment_obj(self):
        return self.request.task.process.guidance_comment

    def subject(self):
        return self.comment_obj().assessment

    def blank_form(self):
        return forms.CommentForm()

    def act(self):
        d = self.valid_form(forms.CommentForm(self.request.POST))
        services.guidance_comment_submit(
            comment_obj=self.comment_obj(),
            by=self.request.user,
            comment=d["comment"],
            points=d["points"],
            activation=self.request.activation,
        )
        return _("Your comment has been passed to the reviewer.")


class ReferralProposeView(ProposeAccountabilityView):
    template_name = "flows/steps/referral_propose.html"

    def referral(self):
        return self.request.task.process.referral

    def subject(self):
        return self.referral().item.assessment

    def context(self, **extra):
        from flows.models import Reminder

        item = self.referral().item
        reminders = Reminder.objects.filter(task__process=item.process).order_by("created_at")
        return super().context(item=item, reminders=reminders, **extra)

    def act(self):
        from flows.services import deadlines

        d = self.valid_form(forms.AccountabilityProposalForm(self.request.POST, people=self.people()))
        deadlines.referral_propose(
            referral=self.referral(),
            by=self.request.user,
            kind=d["kind"],
            persons=self.form.chosen_people(),
            reason=d["reason"],
            activation=self.request.activation,
        )
        return _("The measure has been proposed; a second officer decides on it.")

    def blank_form(self):
        return forms.AccountabilityProposalForm(people=self.people(), initial={"expected_state": "-"})


class ReferralDecideView(DecisionStepView, ReferralProposeView):
    template_name = "flows/steps/decide_accountability.html"
    stage = "-"
    approved_message = gettext_lazy("The measure has been approved.")
    rejected_message = gettext_lazy("The measure was rejected.")

    def context(self, **extra):
        return super().context(measure=self.referral().measure, **extra)

    def blank_form(self):
        return DecisionStepView.blank_form(self)

    def act(self):
        return DecisionStepView.act(self)

    def decide(self, *, approve, comment, expected_state):
        from flows.services import deadlines

        deadlines.referral_decide(
            referral=self.referral(),
            by=self.request.user,
            approve=approve,
            comment=comment,
            activation=self.request.activation,
        )
