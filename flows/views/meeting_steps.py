"""The task screens of a report-and-review meeting (述职评议会): a reporter's written report, the leader's comment,
and the office's record of the meeting, closing of the appraisal and confirmation of the results."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from flows.selectors import meetings as selectors
from flows.selectors.holders import may_pass_on
from flows.services import meetings as services
from flows.views.steps import StepView
from forms.meetings import CommentForm, HoldForm, ReportForm


class MeetingStepView(StepView):
    """A step on the meeting (the office's) or on one reporter (a report, a comment)."""

    form_class = None

    def subject(self):
        task = self.request.task
        return task.flow_task.subject(task)

    def meeting(self):
        subject = self.subject()
        return getattr(subject, "meeting", subject)

    def blank_form(self):
        return self.form_class() if self.form_class else None

    def context(self, **extra):
        form, errors = extra.get("form"), extra.get("errors") or {}
        if form is not None and form.is_bound:  # a service's refusal is marked at its field too
            for name, messages in errors.items():
                if name in form.fields and not form.has_error(name):
                    form.add_error(name, messages)
        return {
            "task": self.request.task,
            "node": self.request.task.flow_task,
            "meeting": self.meeting(),
            "reporter": self.subject() if self.subject() is not self.meeting() else None,
            "page": selectors.meeting_page(self.request.user, self.meeting()),
            "pass_on": may_pass_on(self.request.user, self.request.task),
            **extra,
        }

    def get(self, request, **kwargs):
        return render(request, self.template_name, self.context(form=self.blank_form()))


class SubmitReportView(MeetingStepView):
    template_name = "flows/meetings/step_report.html"
    form_class = ReportForm

    def act(self):
        d = self.valid_form(ReportForm(self.request.POST))
        services.report_submit(
            reporter=self.subject(), by=self.request.user, report=d["report"], activation=self.request.activation
        )
        return _("The written report is submitted.")


class ReceiveReportView(MeetingStepView):
    template_name = "flows/meetings/step_receive.html"

    def act(self):
        services.report_receive(reporter=self.subject(), by=self.request.user, activation=self.request.activation)
        return _("The receipt of the written report is recorded.")


class CommentView(MeetingStepView):
    template_name = "flows/meetings/step_comment.html"
    form_class = CommentForm

    def act(self):
        d = self.valid_form(CommentForm(self.request.POST))
        services.comment_submit(
            reporter=self.subject(),
            by=self.request.user,
            comment=d["comment"],
            rating=d["rating"],
            problems=d["problems"],
            problems_due=d["problems_due"],
            activation=self.request.activation,
        )
        return _("The comment is recorded.")


class HoldMeetingView(MeetingStepView):
    template_name = "flows/meetings/step_hold.html"
    form_class = HoldForm

    def act(self):
        d = self.valid_form(HoldForm(self.request.POST))
        services.meeting_hold(
            meeting=self.meeting(), by=self.request.user, attendance=d["attendance"], activation=self.request.activation
        )
        return _("The meeting is recorded as held; the leaders' comments are now in their tasks.")


class CloseAppraisalView(MeetingStepView):
    template_name = "flows/meetings/step_close.html"

    def act(self):
        services.appraisal_close(meeting=self.meeting(), by=self.request.user, activation=self.request.activation)
        return _("The appraisal is closed; its counts are final.")


class ConfirmResultsView(MeetingStepView):
    template_name = "flows/meetings/step_confirm.html"

    def act(self):
        services.results_confirm(meeting=self.meeting(), by=self.request.user, activation=self.request.activation)
        return _("The results are confirmed: each reporter has a result for the year.")
