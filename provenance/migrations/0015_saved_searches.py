"""Saved searches and watchlists (issue 17), and their notification kind."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('provenance', '0014_search'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('claim_submitted', 'A claim is submitted for review'), ('review_decision', 'A decision on my claim'), ('mention', 'Someone mentions me'), ('assignment', 'A claim is assigned to me'), ('new_evidence', 'New evidence on a claim I follow'), ('new_denial', 'A new denial on a claim I follow'), ('upload_finished', 'My upload finished processing'), ('upload_failed', 'My upload failed'), ('watch_match', 'Something new matches a search I watch')], max_length=32),
        ),
        migrations.AlterField(
            model_name='notificationpreference',
            name='kind',
            field=models.CharField(choices=[('claim_submitted', 'A claim is submitted for review'), ('review_decision', 'A decision on my claim'), ('mention', 'Someone mentions me'), ('assignment', 'A claim is assigned to me'), ('new_evidence', 'New evidence on a claim I follow'), ('new_denial', 'A new denial on a claim I follow'), ('upload_finished', 'My upload finished processing'), ('upload_failed', 'My upload failed'), ('watch_match', 'Something new matches a search I watch')], max_length=32),
        ),
        migrations.CreateModel(
            name='SavedSearch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100)),
                ('query', models.CharField(max_length=500)),
                ('kind', models.CharField(blank=True, choices=[('claim', 'Claims'), ('statement', 'Statements'), ('evidence', 'Evidence'), ('entity', 'Entities'), ('comment', 'Comments')], max_length=16)),
                ('is_watched', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('team', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='provenance.team')),
            ],
            options={
                'ordering': ['name', 'pk'],
                'constraints': [models.UniqueConstraint(fields=('team', 'owner', 'name'), name='saved_search_name_unique')],
            },
        ),
    ]
