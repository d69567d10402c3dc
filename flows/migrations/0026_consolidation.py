"""Issue 20, 'consolidation': the criteria a weak-and-lax designation met, the consolidation plan (measures,
responsible leader, work team, milestones as tasks, progress reports), the acceptance check, and the rule that a
designation is lifted only after a passed check.

Periods lifted before this rule existed keep their history: their acceptance date is taken as their end date, so
the new constraint holds for them."""

import django.db.models.deletion
import django_fsm
from django.conf import settings
from django.db import migrations, models


def _legacy_lifts_accepted(apps, schema_editor):
    period = apps.get_model("flows", "WeakAndLaxPeriod")
    period.objects.filter(end__isnull=False, accepted_on__isnull=True).update(accepted_on=models.F("end"))


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0025_duty_lists"),
        ("viewflow", "0015_task_scheduled"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AcceptanceCheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("checked_on", models.DateField(verbose_name="checked on")),
                ("passed", models.BooleanField(verbose_name="passed")),
                ("reasons", models.TextField(blank=True, verbose_name="findings and reasons")),
                ("recorded_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name": "acceptance check",
                "verbose_name_plural": "acceptance checks",
                "ordering": ["plan", "checked_on", "pk"],
            },
        ),
        migrations.CreateModel(
            name="ConsolidationMilestone",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=200, verbose_name="milestone")),
                ("due", models.DateField(verbose_name="due on")),
                (
                    "state",
                    django_fsm.FSMField(
                        choices=[("open", "Being worked on"), ("done", "Reported done")],
                        default="open",
                        max_length=50,
                        protected=True,
                        verbose_name="state",
                    ),
                ),
                ("done_on", models.DateField(blank=True, null=True, verbose_name="done on")),
            ],
            options={
                "verbose_name": "consolidation milestone",
                "verbose_name_plural": "consolidation milestones",
                "ordering": ["plan", "due", "pk"],
            },
            bases=(django_fsm.ConcurrentTransitionMixin, django_fsm.FSMModelMixin, models.Model),
        ),
        migrations.CreateModel(
            name="ConsolidationPlan",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("measures", models.TextField(verbose_name="measures")),
                (
                    "state",
                    django_fsm.FSMField(
                        choices=[
                            ("draft", "Plan being drawn up"),
                            ("under_way", "Consolidation under way"),
                            ("accepted", "Passed the acceptance check"),
                            ("lifted", "Designation lifted"),
                        ],
                        default="draft",
                        max_length=50,
                        protected=True,
                        verbose_name="state",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("accepted_on", models.DateField(blank=True, null=True, verbose_name="accepted on")),
            ],
            options={
                "verbose_name": "consolidation plan",
                "verbose_name_plural": "consolidation plans",
            },
            bases=(django_fsm.ConcurrentTransitionMixin, django_fsm.FSMModelMixin, models.Model),
        ),
        migrations.CreateModel(
            name="DesignationCriterion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "criterion",
                    models.CharField(
                        choices=[
                            (
                                "leadership_weak",
                                "Leadership team weak and lax (secretary long vacant or unfit for the post)",
                            ),
                            ("leadership_divided", "Leadership team divided, unable to work together"),
                            ("org_life", "Organisational life irregular (三会一课 not held, rules a formality)"),
                            ("members_lax", "Party members managed loosely"),
                            ("decisions", "Decisions and arrangements of the higher level carried out poorly"),
                            ("masses", "Serious conflicts with the masses, petitions and complaints concentrated"),
                            ("discipline", "Violations of discipline and law in the leadership"),
                            ("service", "Serving development and the masses ineffectively"),
                            ("other", "Other (described)"),
                        ],
                        max_length=24,
                        verbose_name="criterion",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=300, verbose_name="description")),
            ],
            options={
                "verbose_name": "criterion met",
                "verbose_name_plural": "criteria met",
                "ordering": ["period", "pk"],
            },
        ),
        migrations.CreateModel(
            name="ProgressReport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("text", models.TextField(verbose_name="progress")),
                ("completes", models.BooleanField(default=False, verbose_name="milestone reached")),
                ("reported_at", models.DateTimeField(auto_now_add=True, verbose_name="reported at")),
            ],
            options={
                "verbose_name": "progress report",
                "verbose_name_plural": "progress reports",
                "ordering": ["milestone", "reported_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="TeamMember",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("duty", models.CharField(blank=True, max_length=100, verbose_name="duty in the team")),
            ],
            options={
                "verbose_name": "work team member",
                "verbose_name_plural": "work team members",
                "ordering": ["plan", "pk"],
            },
        ),
        migrations.AddField(
            model_name="weakandlaxperiod",
            name="accepted_on",
            field=models.DateField(blank=True, null=True, verbose_name="acceptance check passed on"),
        ),
        migrations.RunPython(_legacy_lifts_accepted, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="weakandlaxperiod",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("end__isnull", True),
                    models.Q(("accepted_on__isnull", False), ("end__gte", models.F("accepted_on"))),
                    _connector="OR",
                ),
                name="weak_and_lax_lifted_after_acceptance",
                violation_error_message="The designation is lifted only after a passed acceptance check.",
            ),
        ),
        migrations.AddField(
            model_name="acceptancecheck",
            name="checked_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="consolidationmilestone",
            name="process",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="consolidation_milestone",
                to="viewflow.process",
            ),
        ),
        migrations.AddField(
            model_name="consolidationplan",
            name="created_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="consolidationplan",
            name="leader",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="consolidations_led",
                to=settings.AUTH_USER_MODEL,
                verbose_name="responsible leader (联系领导)",
            ),
        ),
        migrations.AddField(
            model_name="consolidationplan",
            name="office",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="consolidation_plans",
                to="flows.oversightoffice",
                verbose_name="office of the superior level",
            ),
        ),
        migrations.AddField(
            model_name="consolidationplan",
            name="period",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="plan",
                to="flows.weakandlaxperiod",
                verbose_name="designation",
            ),
        ),
        migrations.AddField(
            model_name="consolidationmilestone",
            name="plan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="milestones", to="flows.consolidationplan"
            ),
        ),
        migrations.AddField(
            model_name="acceptancecheck",
            name="plan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="checks", to="flows.consolidationplan"
            ),
        ),
        migrations.AddField(
            model_name="designationcriterion",
            name="period",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="criteria",
                to="flows.weakandlaxperiod",
                verbose_name="designation",
            ),
        ),
        migrations.AddField(
            model_name="progressreport",
            name="milestone",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="reports", to="flows.consolidationmilestone"
            ),
        ),
        migrations.AddField(
            model_name="progressreport",
            name="reported_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="teammember",
            name="person",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name="teammember",
            name="plan",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="team", to="flows.consolidationplan"
            ),
        ),
        migrations.AddConstraint(
            model_name="acceptancecheck",
            constraint=models.CheckConstraint(
                condition=models.Q(("passed", True), models.Q(("reasons", ""), _negated=True), _connector="OR"),
                name="acceptance_not_passed_has_reasons",
                violation_error_message="Give the reasons why the check was not passed.",
            ),
        ),
        migrations.AddConstraint(
            model_name="designationcriterion",
            constraint=models.UniqueConstraint(fields=("period", "criterion"), name="designation_criterion_once"),
        ),
        migrations.AddConstraint(
            model_name="designationcriterion",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("criterion", "other"), _negated=True),
                    models.Q(("note", ""), _negated=True),
                    _connector="OR",
                ),
                name="designation_other_described",
                violation_error_message="Describe the other criterion.",
            ),
        ),
        migrations.AddConstraint(
            model_name="teammember",
            constraint=models.UniqueConstraint(fields=("plan", "person"), name="consolidation_team_once"),
        ),
    ]
