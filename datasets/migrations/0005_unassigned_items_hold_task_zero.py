"""Unassigned items hold task 0 instead of NULL, and one index holds the task (datasets.models.TaskForeignKey).

The foreign key constraint goes first (0 references no task; MariaDB also keeps the old task indexes while a
constraint needs them), then NULLs become 0, then the two task indexes become one.
"""

import django.db.models.deletion
from django.db import migrations, models

import datasets.models


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0004_flags_with_database_defaults"),
        ("tasks", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dataitem",
            name="task",
            field=datasets.models.TaskForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="tasks.task",
            ),
        ),
        migrations.RunSQL(
            "UPDATE datasets_dataitem SET task_id = 0 WHERE task_id IS NULL",
            "UPDATE datasets_dataitem SET task_id = NULL WHERE task_id = 0",
        ),
        migrations.RemoveIndex(model_name="dataitem", name="dataitem_area_task"),
        migrations.RemoveIndex(model_name="dataitem", name="dataitem_task_labeled"),
        migrations.AddIndex(
            model_name="dataitem",
            index=models.Index(fields=["dataset", "area", "task", "is_labeled"], name="dataitem_area_task_labeled"),
        ),
        migrations.AddField(
            model_name="dataitem",
            name="area_task",
            field=models.ForeignObject(
                from_fields=["dataset", "area", "task"],
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="items",
                to="tasks.task",
                to_fields=["dataset", "area", "id"],
            ),
        ),
    ]
