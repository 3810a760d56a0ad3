from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import ClientType, User


class Command(BaseCommand):
    help = (
        "Set a labeler's client type: -1 blacklisted, 0 researcher, 1 expert labeler, 2 amateur, 3 layperson. "
        "Takes effect on the user's next request."
    )

    def add_arguments(self, parser):
        parser.add_argument("user_id", type=int)
        parser.add_argument("client_type", type=int)

    def handle(self, *args, user_id, client_type, **options):
        if client_type not in ClientType.values:
            raise CommandError(f"client type must be one of {sorted(ClientType.values)}, not {client_type}")
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            raise CommandError(f"no user with id {user_id}")
        user = services.set_client_type(user=user, client_type=client_type)
        self.stdout.write(
            f"user {user.pk} ({user.username}): client type {user.client_type} "
            f"({ClientType(user.client_type).label}), role {user.role}"
        )
