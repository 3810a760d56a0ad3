from django.db import migrations

GROUP = "Alert watchers"  # accounts.models.ALERT_WATCHERS_GROUP, frozen here as migrations must be


def grant_view_alert(apps, schema_editor):
    """Give "Alert watchers" `alerts.view_alert` (DESIGN.md, Identity). Permissions are normally made
    after all migrations (post_migrate), so they are made here first."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("alerts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="alerts", codename="view_alert"))


def revoke_view_alert(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="alerts", codename="view_alert"))


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("accounts", "0002_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_view_alert, revoke_view_alert)]
