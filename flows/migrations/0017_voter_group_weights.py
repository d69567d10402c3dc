from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('flows', '0016_template_items'),
    ]

    operations = [
    ]
