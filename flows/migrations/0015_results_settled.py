"""Settling the results (issue 17): the social evaluation's source, the settling of a cycle's ratings and every
later rating change; and drafts no longer count: an assessment still before its superior review was submitted
loses the combined score and rating a saved draft gave it."""

import django.db.models.deletion
import django_fsm
from django.conf import settings
from django.db import migrations, models

BEFORE_RESULT = ("self_assessment", "self_approval", "mass_evaluation", "superior_review")


def drafts_are_not_results(apps, schema_editor):
    Assessment = apps.get_model("flows", "Assessment")
    Assessment.objects.filter(state__in=BEFORE_RESULT).update(
        superior_score=None, combined_score=None, rating="", veto=False
    )


class Migration(migrations.Migration):

    dependencies = [
        ('flows', '0014_acting_heads'),
        ('viewflow', '0015_task_scheduled'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='assessment',
            name='social_source',
            field=models.CharField(blank=True, max_length=200, verbose_name='source of the social evaluation'),
        ),
        migrations.AddField(
            model_name='reviewcycle',
            name='social_source',
            field=models.CharField(blank=True, help_text='Who gives the social evaluation, e.g. a survey of service users; needed when it has a weight.', max_length=200, verbose_name='source of the social evaluation'),
        ),
        migrations.CreateModel(
            name='RatingChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(choices=[('settlement', 'Settling the ratings'), ('spot_check', 'Spot check'), ('objection', 'Objection to a published rating')], max_length=16, verbose_name='changed by')),
                ('rating_before', models.CharField(choices=[('good', 'Good'), ('fairly_good', 'Fairly good'), ('average', 'Average rating'), ('poor', 'Poor')], max_length=12, verbose_name='rating before')),
                ('rating_after', models.CharField(choices=[('good', 'Good'), ('fairly_good', 'Fairly good'), ('average', 'Average rating'), ('poor', 'Poor')], max_length=12, verbose_name='rating after')),
                ('reason', models.TextField(verbose_name='reason')),
                ('changed_at', models.DateTimeField(auto_now_add=True, verbose_name='changed at')),
                ('assessment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rating_changes', to='flows.assessment', verbose_name='assessment')),
                ('changed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='changed by')),
            ],
            options={
                'verbose_name': 'rating change',
                'verbose_name_plural': 'rating changes',
                'ordering': ['changed_at', 'pk'],
                'constraints': [models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='rating_change_has_reason'), models.CheckConstraint(condition=models.Q(('rating_before', models.F('rating_after')), _negated=True), name='rating_change_changes')],
            },
        ),
        migrations.CreateModel(
            name='RatingSettlement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', django_fsm.FSMField(choices=[('settling', 'Ratings being settled'), ('settled', 'Ratings settled')], default='settling', max_length=50, protected=True, verbose_name='state')),
                ('rated', models.PositiveIntegerField(default=0, verbose_name='organisations rated')),
                ('good', models.PositiveIntegerField(default=0, verbose_name='rated good')),
                ('good_cap_percent', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, verbose_name='cap on the share of good (%)')),
                ('over_cap', models.BooleanField(default=False, verbose_name='settled over the cap')),
                ('override_reason', models.TextField(blank=True, verbose_name='reason for exceeding the cap')),
                ('settled_at', models.DateTimeField(blank=True, null=True, verbose_name='settled at')),
                ('cycle', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='settlement', to='flows.reviewcycle', verbose_name='cycle')),
                ('process', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='rating_settlement', to='viewflow.process')),
                ('settled_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'settling of the ratings',
                'verbose_name_plural': 'settlings of the ratings',
                'constraints': [models.CheckConstraint(condition=models.Q(('over_cap', False), models.Q(('override_reason', ''), _negated=True), _connector='OR'), name='settlement_over_cap_has_reason', violation_error_message='Settling over the cap needs a reason.')],
            },
            bases=(django_fsm.ConcurrentTransitionMixin, models.Model),
        ),
        migrations.RunPython(drafts_are_not_results, migrations.RunPython.noop),
    ]
