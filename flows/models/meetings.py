"""述职评议考核: secretaries answer for Party building in person (三级联述联评联考).

A level holds a report-and-review meeting (述职评议会) for the secretaries of the organisations it leads: a county
committee for township secretaries, a township committee for village secretaries. Each reporter submits a written
述职报告 before the meeting, reports in speaking order, is appraised on the spot by the attendees (现场测评: one
voting code per attendee covers every reporter, cast with the anonymous ballot; a paper count as the fallback,
typed by one officer and confirmed by another) and commented on by a leader of the holding level (领导点评, with
the problems pointed out). Confirming the results gives each reporter a result of their own for the year
(`PersonResult`), from the appraisal, the comment and their organisation's assessment, weighted as the cycle says;
the problems pointed out become rectification items owned by the reporter.

The written report is the secretary's yearly written 述职 to the level above (seed 001): a task with a due date
(`reports_due`, before the meeting) whose receipt the holding level's office records.

    ReportMeeting:  prepared ──reports_in──▶ reports_submitted ──hold──▶ held ──close_appraisal──▶
                    appraisal_closed ──confirm──▶ confirmed
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from flows.models.cycles import Rating
from flows.models.states import MeetingState, PersonResultSource

# points of the leader's comment in the reporter's combined score (the rating the leader gives)
COMMENT_POINTS = {Rating.GOOD: 95, Rating.FAIRLY_GOOD: 85, Rating.AVERAGE: 70, Rating.POOR: 50}


class ReportMeeting(ConcurrentTransitionMixin, models.Model):
    cycle = models.ForeignKey(
        "flows.ReviewCycle", on_delete=models.PROTECT, related_name="meetings", verbose_name=_("review cycle")
    )
    holder = models.ForeignKey(
        "flows.Organisation", on_delete=models.PROTECT, related_name="meetings_held", verbose_name=_("held by")
    )
    office = models.ForeignKey(
        "flows.OversightOffice", on_delete=models.PROTECT, related_name="meetings", verbose_name=_("run by")
    )
    title = models.CharField(_("title"), max_length=160)
    date = models.DateField(_("meeting date"))
    reports_due = models.DateField(_("written reports due"))
    place = models.CharField(_("place"), max_length=120)
    attendees = models.TextField(
        _("attendees"), help_text=_("Who attends: committee members, representatives of Party members and the public.")
    )
    attendance = models.PositiveIntegerField(_("attendees present"), null=True, blank=True)
    campaign = models.OneToOneField(
        "flows.Campaign", on_delete=models.PROTECT, related_name="meeting", verbose_name=_("appraisal at the meeting")
    )
    state = FSMField(_("state"), default=MeetingState.PREPARED, choices=MeetingState.choices, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    process = models.OneToOneField(
        "viewflow.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="report_meeting"
    )

    class Meta:
        verbose_name = _("report-and-review meeting")
        verbose_name_plural = _("report-and-review meetings")
        ordering = ["-date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reports_due__lte=models.F("date")),
                name="meeting_reports_due_before_it",
                violation_error_message=_("The written reports are due before the meeting."),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def organisation(self):
        """The organisation the meeting's steps are about: the level holding it."""
        return self.holder

    def all_reports_in(self):
        """Every reporter's written report is in, or the reporter is excused from reporting."""
        return not self.reporters.filter(report_submitted_at__isnull=True, excused_at__isnull=True).exists()

    def all_comments_in(self):
        return not self.reporters.filter(commented_at__isnull=True, excused_at__isnull=True).exists()

    @transition(
        field=state, source=MeetingState.PREPARED, target=MeetingState.REPORTS_SUBMITTED, conditions=[all_reports_in]
    )
    def reports_in(self):
        """The last written report arrived (the system takes this step)."""

    @transition(field=state, source=MeetingState.REPORTS_SUBMITTED, target=MeetingState.HELD)
    def hold(self, *, attendance: int):
        """The meeting took place: the reports were heard and the attendees appraised them."""
        self.attendance = attendance

    @transition(field=state, source=MeetingState.HELD, target=MeetingState.APPRAISAL_CLOSED)
    def close_appraisal(self):
        """Voting ends; the appraisal's counts are final."""

    @transition(
        field=state, source=MeetingState.APPRAISAL_CLOSED, target=MeetingState.CONFIRMED, conditions=[all_comments_in]
    )
    def confirm(self):
        """Every reporter's result is confirmed."""


class MeetingReporter(models.Model):
    """One secretary reporting at the meeting, in speaking order: their written report, the leader's comment, the
    appraisal's counts and, once confirmed, their result."""

    meeting = models.ForeignKey(ReportMeeting, on_delete=models.CASCADE, related_name="reporters")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="meeting_reports", verbose_name=_("reporter")
    )
    organisation = models.ForeignKey("flows.Organisation", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("post"), max_length=120, help_text=_("The post the reporter held when reporting."))
    order = models.PositiveIntegerField(_("speaking order"))
    subject = models.OneToOneField(
        "flows.CampaignSubject", on_delete=models.PROTECT, related_name="reporter", verbose_name=_("ballot line")
    )
    report = models.TextField(_("written report (述职报告)"), blank=True)
    report_submitted_at = models.DateTimeField(_("report submitted"), null=True, blank=True)
    # the holding level records that it received the written report (书面述职, seed 001)
    report_received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report_received_at = models.DateTimeField(_("report received"), null=True, blank=True)
    # excused from reporting at this meeting (请假: ill, on secondment…), recorded by the holding level's office with
    # the reason; an excused reporter is not appraised or commented on and gets no result from this meeting
    excused_reason = models.CharField(_("reason excused"), max_length=200, blank=True)
    excused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    excused_at = models.DateTimeField(_("excused"), null=True, blank=True)
    commenter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("leader who comments")
    )
    comment = models.TextField(_("leader's comment (领导点评)"), blank=True)
    comment_rating = models.CharField(_("rating in the comment"), max_length=12, choices=Rating.choices, blank=True)
    problems = models.TextField(_("problems pointed out"), blank=True, help_text=_("One problem per line."))
    problems_due = models.DateField(_("problems to be rectified by"), null=True, blank=True)
    commented_at = models.DateTimeField(_("commented"), null=True, blank=True)
    # the appraisal: electronic ballots' counts and a paper count (typed by one officer, confirmed by another)
    paper_counts = models.JSONField(_("paper count"), default=dict, blank=True)
    paper_entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paper_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appraisal_counts = models.JSONField(_("appraisal counts"), default=dict, blank=True)
    appraisal_score = models.DecimalField(_("appraisal score"), max_digits=5, decimal_places=2, null=True, blank=True)
    process = models.OneToOneField(
        "viewflow.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="meeting_reporter"
    )
    comment_process = models.OneToOneField(
        "viewflow.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="meeting_comment"
    )

    class Meta:
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")
        ordering = ["meeting", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="reporter_once_per_meeting"),
            models.UniqueConstraint(fields=["meeting", "order"], name="reporter_order_unique"),
            models.CheckConstraint(
                condition=Q(paper_confirmed_by__isnull=True) | ~Q(paper_confirmed_by=models.F("paper_entered_by")),
                name="reporter_paper_four_eyes",
                violation_error_message=_("A second officer confirms the paper count."),
            ),
        ]

    def __str__(self):
        return f"{self.meeting} · {self.order}. {self.person}"


class PersonResult(models.Model):
    """A person's result for a year (干部抓党建工作考核结果): from a report-and-review meeting for a secretary who
    reported, from the organisation's assessment for the person in direct charge. Kept by person and year, so a
    secretary who leaves the post keeps it."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="results", verbose_name=_("person")
    )
    year = models.PositiveIntegerField(_("year"))
    cycle = models.ForeignKey("flows.ReviewCycle", on_delete=models.PROTECT, related_name="person_results")
    organisation = models.ForeignKey(
        "flows.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    duty = models.CharField(_("duty"), max_length=16)  # the Role: secretary, or deputy for the person in direct charge
    title = models.CharField(_("post"), max_length=120, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=PersonResultSource.choices)
    reporter = models.OneToOneField(
        MeetingReporter, null=True, blank=True, on_delete=models.PROTECT, related_name="result"
    )
    appraisal_score = models.DecimalField(_("appraisal"), max_digits=5, decimal_places=2, null=True, blank=True)
    comment_rating = models.CharField(_("leader's comment"), max_length=12, choices=Rating.choices, blank=True)
    organisation_score = models.DecimalField(
        _("organisation's score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    score = models.DecimalField(_("combined score"), max_digits=5, decimal_places=2, null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices)
    basis = models.TextField(_("how the result was reached"), blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"))

    class Meta:
        verbose_name = _("person's result")
        verbose_name_plural = _("persons' results")
        ordering = ["-year", "person", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "cycle", "organisation", "duty"], name="person_result_once_per_duty_and_cycle"
            ),
        ]

    def __str__(self):
        return f"{self.person} · {self.year} · {self.get_rating_display()}"
