from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('flows', '0015_results_settled'),
    ]

    operations = [
    ]
