"""Forms of the report-and-review meeting's steps (the services check the rest)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from flows.models import AppraisalMark, Rating
from forms.numbers import PlainDecimalField


class ReportForm(forms.Form):
    report = forms.CharField(
        label=_("Written report (述职报告)"), widget=forms.Textarea(attrs={"rows": 14, "class": "wide"})
    )


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment (领导点评)"), widget=forms.Textarea(attrs={"rows": 6, "class": "wide"}))
    rating = forms.ChoiceField(label=_("Rating the comment gives"), choices=[("", "—"), *Rating.choices])
    problems = forms.CharField(
        label=_("Problems pointed out (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "wide"}),
        help_text=_("Each line becomes a rectification item owned by the reporter once the results are confirmed."),
    )
    problems_due = forms.DateField(
        label=_("To be rectified by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class HoldForm(forms.Form):
    attendance = forms.CharField(label=_("Attendees present"), widget=forms.TextInput(attrs={"inputmode": "numeric"}))


# ---- preparing the meeting (述职评议会): the office's form and one row per proposed reporter ----------------------


class MeetingForm(forms.Form):
    """What the office fixes about the meeting; the reporters come as `ReporterRowForm` rows."""

    office = forms.ModelChoiceField(label=_("Run by (the office of the holding level)"), queryset=None)
    cycle = forms.ModelChoiceField(label=_("Review cycle"), queryset=None)
    title = forms.CharField(
        label=_("Title of the meeting"), max_length=160, widget=forms.TextInput(attrs={"class": "wide"})
    )
    date = forms.DateField(label=_("Meeting date"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("Place"), max_length=120)
    attendees = forms.CharField(
        label=_("Attendees"),
        widget=forms.Textarea(attrs={"rows": 2, "class": "wide"}),
        help_text=_("Who attends: committee members, representatives of Party members and the public."),
    )
    k_threshold = PlainDecimalField(
        label=_("Smallest group shown"),
        min_value=3,
        max_value=100,
        decimal_places=0,
        initial=5,
        help_text=_("A reporter appraised by fewer attendees than this gets no appraisal score (anonymity)."),
    )

    def __init__(self, *args, offices, cycles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        self.fields["office"].label_from_instance = lambda o: f"{o.name}（{o.scope.name}）"
        self.fields["cycle"].queryset = cycles
        self.fields["cycle"].label_from_instance = lambda c: c.name

    def clean_k_threshold(self):
        return int(self.cleaned_data["k_threshold"])


class ReporterRowForm(forms.Form):
    """One organisation led by the holder with its current secretary: report or not, in which order, under which
    post, commented on by which leader of the holding level."""

    organisation = forms.IntegerField(widget=forms.HiddenInput)
    include = forms.BooleanField(label=_("Reports"), required=False, initial=True)
    order = PlainDecimalField(label=_("Speaking order"), required=False, min_value=1, max_value=999, decimal_places=0)
    title = forms.CharField(label=_("Post"), required=False, max_length=120)
    commenter = forms.TypedChoiceField(label=_("Leader who comments"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, leaders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commenter"].choices = [("", "—"), *leaders]
        self.fields["order"].widget.attrs["size"] = 3

    def clean(self):
        d = super().clean()
        if d.get("include"):
            if d.get("order") is None and not self.has_error("order"):
                self.add_error("order", _("Give the speaking order."))
            if d.get("commenter") is None and not self.has_error("commenter"):
                self.add_error("commenter", _("Choose the leader who comments."))
        return d


ReporterFormSet = forms.formset_factory(ReporterRowForm, extra=0)


class PaperCountForm(forms.Form):
    """The paper ballots' count for one reporter: how many marked 好 / 较好 / 一般 / 差 (the service reads them)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in AppraisalMark.choices:
            self.fields[value] = forms.CharField(
                label=label,
                required=False,
                max_length=8,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4}),
            )

    def counts(self) -> dict:
        return {value: self.data.get(value, "") for value, _label in AppraisalMark.choices}
