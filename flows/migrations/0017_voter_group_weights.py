"""Voter groups carry weights; a campaign has a minimum turnout (issue 17).

Existing campaigns get a group row, weight 1, for every voter group their codes or ballots name, and a minimum
turnout of 0 (none): their results stay what they were."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models


def groups_of_existing_campaigns(apps, schema_editor):
    VoterToken = apps.get_model("flows", "VoterToken")
    Ballot = apps.get_model("flows", "Ballot")
    VoterGroup = apps.get_model("flows", "VoterGroup")
    pairs = set(VoterToken.objects.values_list("campaign_id", "group").distinct())
    pairs |= set(Ballot.objects.values_list("campaign_id", "group").distinct())
    VoterGroup.objects.bulk_create(
        [VoterGroup(campaign_id=campaign_id, name=name, weight=Decimal(1)) for campaign_id, name in sorted(pairs)],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0016_template_items"),
    ]

    operations = [
        migrations.CreateModel(
            name="VoterGroup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=40, verbose_name="voter group")),
                (
                    "weight",
                    models.DecimalField(decimal_places=2, default=Decimal("1"), max_digits=5, verbose_name="weight"),
                ),
                (
                    "campaign",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="voter_groups",
                        to="flows.campaign",
                    ),
                ),
            ],
            options={
                "verbose_name": "voter group",
                "verbose_name_plural": "voter groups",
                "ordering": ["campaign", "pk"],
            },
        ),
        migrations.AddField(
            model_name="campaign",
            name="min_turnout_percent",
            field=models.DecimalField(
                decimal_places=1,
                default=Decimal("0"),
                help_text=(
                    "Share of the issued codes that must have voted before a mass evaluation score counts; "
                    "0 = no minimum."
                ),
                max_digits=5,
                verbose_name="minimum turnout (%)",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.CheckConstraint(
                condition=models.Q(("min_turnout_percent__gte", 0), ("min_turnout_percent__lte", 100)),
                name="campaign_min_turnout_0_100",
                violation_error_message="The minimum turnout is a percentage between 0 and 100.",
            ),
        ),
        migrations.AddConstraint(
            model_name="votergroup",
            constraint=models.UniqueConstraint(fields=("campaign", "name"), name="voter_group_once_per_campaign"),
        ),
        migrations.AddConstraint(
            model_name="votergroup",
            constraint=models.CheckConstraint(
                condition=models.Q(("weight__gt", 0), ("weight__lte", 100)),
                name="voter_group_weight_0_100",
                violation_error_message="A weight is a number above 0 and at most 100.",
            ),
        ),
        migrations.RunPython(groups_of_existing_campaigns, migrations.RunPython.noop),
    ]
