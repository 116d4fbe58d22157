"""Runs become a queue for `empact worker`: a status, who queued the run and when,
when a worker claimed it, how often, and why it failed.

Every run before this one was executed inside the request that started it, and
committed with its hits: they are all done.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analysis", "0001_initial"),
    ]

    operations = [
        migrations.RenameField("run", "started_by", "queued_by"),
        migrations.RenameField("run", "started_at", "queued_at"),
        migrations.AddField(
            model_name="run",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("done", "Done"),
                    ("failed", "Failed"),
                ],
                default="done",
                max_length=7,
            ),
        ),
        migrations.AlterField(
            model_name="run",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("running", "Running"),
                    ("done", "Done"),
                    ("failed", "Failed"),
                ],
                default="queued",
                max_length=7,
            ),
        ),
        migrations.AddField(
            model_name="run",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="run",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="run",
            name="failed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="run",
            name="error",
            field=models.TextField(
                blank=True,
                help_text="why the run failed, for the person who queued it",
            ),
        ),
        migrations.AlterModelOptions(
            name="run",
            options={"ordering": ["-queued_at", "-pk"]},
        ),
        migrations.AddIndex(
            model_name="run",
            index=models.Index(fields=["status", "queued_at"], name="run_queue"),
        ),
    ]
