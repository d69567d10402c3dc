"""Templates that fit: bonus and deduction items with caps, a scale-to-100 flag, and templates by level as well as
sector. Every existing indicator becomes a regular item (the field's default), every existing template and cycle
template fits any level (blank), so nothing already scored changes."""

from decimal import Decimal

from django.db import migrations, models

LEVELS = [
    ("province", "Province"),
    ("city", "City"),
    ("county", "County"),
    ("township", "Township"),
    ("grassroots", "Grassroots"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0015_results_settled"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="cycletemplate",
            name="cycle_template_per_sector",
        ),
        migrations.AddField(
            model_name="cycletemplate",
            name="level",
            field=models.CharField(blank=True, choices=LEVELS, max_length=16, verbose_name="administrative level"),
        ),
        migrations.AddField(
            model_name="indicator",
            name="kind",
            field=models.CharField(
                choices=[("regular", "Regular item"), ("bonus", "Bonus item"), ("deduction", "Deduction item")],
                default="regular",
                max_length=12,
                verbose_name="item kind",
            ),
        ),
        migrations.AddField(
            model_name="indicatortemplate",
            name="bonus_cap",
            field=models.DecimalField(
                decimal_places=1,
                default=Decimal("0"),
                help_text="The most that bonus items together add to a total.",
                max_digits=5,
                verbose_name="cap on bonus points",
            ),
        ),
        migrations.AddField(
            model_name="indicatortemplate",
            name="deduction_cap",
            field=models.DecimalField(
                decimal_places=1,
                default=Decimal("0"),
                help_text="The most that deduction items together take from a total.",
                max_digits=5,
                verbose_name="cap on deduction points",
            ),
        ),
        migrations.AddField(
            model_name="indicatortemplate",
            name="level",
            field=models.CharField(
                blank=True,
                choices=LEVELS,
                help_text="Empty: any level.",
                max_length=16,
                verbose_name="administrative level",
            ),
        ),
        migrations.AddField(
            model_name="indicatortemplate",
            name="normalise",
            field=models.BooleanField(
                default=False,
                help_text="The regular items do not total 100 points: self and superior totals are scaled to 100.",
                verbose_name="scale to 100",
            ),
        ),
        migrations.AddConstraint(
            model_name="cycletemplate",
            constraint=models.UniqueConstraint(
                fields=("cycle", "sector", "level"), name="cycle_template_per_sector_level"
            ),
        ),
        migrations.AddConstraint(
            model_name="indicator",
            constraint=models.CheckConstraint(
                condition=models.Q(("veto", False), ("kind", "regular"), _connector="OR"),
                name="indicator_veto_is_regular",
            ),
        ),
        migrations.AddConstraint(
            model_name="indicatortemplate",
            constraint=models.CheckConstraint(
                condition=models.Q(("bonus_cap__gte", 0), ("deduction_cap__gte", 0)),
                name="template_caps_not_negative",
            ),
        ),
    ]
