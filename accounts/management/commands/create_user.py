import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from accounts import selectors, services
from accounts.models import Role
from labelplatform.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create a user with a role, or update the user of that name (role, password, and the options given); "
        "prints the user's id. The first manager is made this way."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--area", default="", help="An expert's domain (required for experts).")
        parser.add_argument("--email", default="")
        parser.add_argument("--watcher", action="store_true", help='Add to "Alert watchers".')
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")

    def handle(self, *args, username, role, area, email, watcher, password_stdin, **options):
        if role == Role.EXPERT and not area:
            raise CommandError("an expert needs --area")
        password = self._read_password(password_stdin)
        existing = selectors.user_by_username(username)
        try:
            if existing is None:
                user = services.create_user(
                    username=username, password=password, role=role, area=area, email=email, watcher=watcher
                )
            else:  # "creates or updates a user" (qa-tasks.md §8, alerts.md §7)
                user = services.update_user(
                    user=existing,
                    password=password,
                    role=role,
                    email=email or None,
                    area=area or None,
                    watcher=True if watcher else None,
                    validate=True,
                )
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'input'}: {exc.message}") from exc
        self.stdout.write(str(user.pk))

    def _read_password(self, from_stdin: bool) -> str:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("the passwords do not match")
        if not password:
            raise CommandError("the password is empty")
        return password
