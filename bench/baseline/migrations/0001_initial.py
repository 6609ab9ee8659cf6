from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="BareRating",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("project_no", models.CharField(max_length=50)),
                ("service_no", models.PositiveIntegerField()),
                ("level", models.PositiveSmallIntegerField()),
                ("commitment", models.PositiveSmallIntegerField(null=True)),
                ("attitude", models.PositiveSmallIntegerField(null=True)),
                ("materials", models.PositiveSmallIntegerField(null=True)),
                ("efficiency", models.PositiveSmallIntegerField(null=True)),
                ("trips", models.PositiveSmallIntegerField(null=True)),
                ("mechanism", models.PositiveSmallIntegerField(null=True)),
                ("integrity", models.PositiveSmallIntegerField(null=True)),
                ("reasons", models.JSONField(default=list)),
                ("text", models.TextField(blank=True)),
                ("channel", models.PositiveSmallIntegerField()),
                ("evaluator_name", models.TextField(blank=True)),
                ("evaluator_phone", models.TextField(blank=True)),
                ("is_default", models.BooleanField(default=False)),
                ("evaluated_at", models.DateTimeField()),
                ("received_at", models.DateTimeField(auto_now_add=True)),
                ("client_key", models.CharField(blank=True, max_length=64)),
            ],
        ),
    ]
