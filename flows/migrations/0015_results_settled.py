from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('flows', '0014_acting_heads'),
    ]

    operations = [
    ]
