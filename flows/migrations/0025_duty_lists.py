"""Issue 20/21, 'duties': duty-list templates, each organisation's duty list and its lines (责任清单)."""

import django.db.models.deletion
import django_fsm
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0024_draw_witnessed"),
        ("viewflow", "0015_task_scheduled"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DutyTemplate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=160, verbose_name="name")),
                ("published_at", models.DateTimeField(auto_now_add=True, verbose_name="published")),
                (
                    "cycle",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="duty_template",
                        to="flows.reviewcycle",
                        verbose_name="review cycle",
                    ),
                ),
                (
                    "office",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="duty_templates",
                        to="flows.oversightoffice",
                        verbose_name="published by",
                    ),
                ),
                (
                    "published_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "duty-list template",
                "verbose_name_plural": "duty-list templates",
                "ordering": ["-published_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="DutyList",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "state",
                    django_fsm.FSMField(
                        choices=[("draft", "Being drafted"), ("confirmed", "Confirmed")],
                        default="draft",
                        max_length=50,
                        protected=True,
                        verbose_name="state",
                    ),
                ),
                ("confirmed_at", models.DateTimeField(blank=True, null=True, verbose_name="confirmed at")),
                ("returned_reason", models.TextField(blank=True, verbose_name="reason returned")),
                ("returned_at", models.DateTimeField(blank=True, null=True, verbose_name="returned")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="last changed")),
                (
                    "confirmed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "cycle",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="duty_lists",
                        to="flows.reviewcycle",
                        verbose_name="review cycle",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="duty_lists",
                        to="flows.organisation",
                        verbose_name="organisation",
                    ),
                ),
                (
                    "process",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="duty_list",
                        to="viewflow.process",
                    ),
                ),
                (
                    "returned_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "template",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lists",
                        to="flows.dutytemplate",
                        verbose_name="template",
                    ),
                ),
            ],
            options={
                "verbose_name": "duty list",
                "verbose_name_plural": "duty lists",
                "ordering": ["cycle", "organisation__path"],
            },
            bases=(django_fsm.ConcurrentTransitionMixin, django_fsm.FSMModelMixin, models.Model),
        ),
        migrations.CreateModel(
            name="DutyTemplateLine",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("secretary", "Secretary (first responsible person)"),
                            ("direct_charge", "Person in direct charge"),
                            ("member", "Other leadership member (one post, two duties)"),
                        ],
                        max_length=16,
                        verbose_name="role",
                    ),
                ),
                ("area", models.CharField(blank=True, max_length=60, verbose_name="area of work")),
                ("text", models.TextField(verbose_name="duty")),
                ("indicator_codes", models.JSONField(blank=True, default=list, verbose_name="indicators covered")),
                ("order", models.PositiveIntegerField(default=0, verbose_name="order")),
                (
                    "template",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="lines", to="flows.dutytemplate"
                    ),
                ),
            ],
            options={
                "verbose_name": "duty-list template line",
                "verbose_name_plural": "duty-list template lines",
                "ordering": ["template", "order", "pk"],
            },
        ),
        migrations.CreateModel(
            name="DutyLine",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("duty", "Duty"), ("task", "Yearly task")],
                        default="duty",
                        max_length=8,
                        verbose_name="kind",
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("secretary", "Secretary (first responsible person)"),
                            ("direct_charge", "Person in direct charge"),
                            ("member", "Other leadership member (one post, two duties)"),
                        ],
                        max_length=16,
                        verbose_name="role",
                    ),
                ),
                ("area", models.CharField(blank=True, max_length=60, verbose_name="area of work")),
                ("text", models.TextField(verbose_name="content")),
                (
                    "secretary_project",
                    models.BooleanField(default=False, verbose_name="secretary's project (书记项目)"),
                ),
                ("due", models.DateField(blank=True, null=True, verbose_name="to be done by")),
                ("order", models.PositiveIntegerField(default=0, verbose_name="order")),
                (
                    "holder",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="duty_lines",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="carried by",
                    ),
                ),
                (
                    "indicators",
                    models.ManyToManyField(
                        blank=True, related_name="duty_lines", to="flows.indicator", verbose_name="indicators covered"
                    ),
                ),
                (
                    "duty_list",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="lines", to="flows.dutylist"
                    ),
                ),
                (
                    "from_template",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="derived",
                        to="flows.dutytemplateline",
                    ),
                ),
            ],
            options={
                "verbose_name": "duty line",
                "verbose_name_plural": "duty lines",
                "ordering": ["duty_list", "kind", "order", "pk"],
            },
        ),
        migrations.AddConstraint(
            model_name="dutylist",
            constraint=models.UniqueConstraint(
                fields=("cycle", "organisation"), name="duty_list_one_per_cycle_organisation"
            ),
        ),
        migrations.AddConstraint(
            model_name="dutyline",
            constraint=models.CheckConstraint(
                condition=models.Q(("secretary_project", False), ("kind", "task"), _connector="OR"),
                name="duty_line_project_is_a_task",
                violation_error_message="Only a yearly task can be the secretary's project.",
            ),
        ),
    ]
