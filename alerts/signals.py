"""Deleting a frame row deletes its file (alerts.md §2), once the deletion commits.

A receiver rather than a service because rows also go by cascade (an alert or truck deleted in the
admin) and by queryset deletes (`services.purge_frames`); Django sends `post_delete` for each of them.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from alerts.models import Frame, SafeFrame


@receiver(post_delete, sender=Frame, dispatch_uid="alerts.frame_file")
@receiver(post_delete, sender=SafeFrame, dispatch_uid="alerts.safeframe_file")
def delete_frame_file(sender, instance, **kwargs) -> None:
    name = instance.image.name
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))
