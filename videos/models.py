from django.conf import settings
from django.db import models


class LabelerProfile(models.Model):
    """A crowd labeler's scores (videos.md §2.1); created the first time it is needed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="labeler_profile"
    )
    score = models.PositiveIntegerField(default=0)
    raw_score = models.PositiveIntegerField(default=0)
    best_tutorial_action = models.SmallIntegerField(default=-1)

    def __str__(self) -> str:
        return f"{self.user} score {self.score}/{self.raw_score}"
