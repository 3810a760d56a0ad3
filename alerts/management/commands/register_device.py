"""`manage.py register_device --mac M --name N`: pre-provision a device and its truck (alerts.md §7)."""

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from alerts import services
from labelplatform.errors import DomainError


class Command(BaseCommand):
    help = (
        "Register a device and its truck with the rules of POST /api/v1/jetson/register/ (idempotent for the "
        "same MAC and password; renames the truck); prints the device id and the truck id."
    )

    def add_arguments(self, parser):
        parser.add_argument("--mac", required=True, help="Six hex pairs separated by ':' or '-'.")
        parser.add_argument("--name", required=True, help="The truck's name.")
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")

    def handle(self, *args, mac, name, password_stdin, **options):
        password = self._read_password(password_stdin)
        try:
            registration = services.register_device(mac=mac, password=password, name=name)
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'input'}: {exc.message}") from exc
        verb = "registered" if registration.created else "already registered"
        self.stdout.write(f"device {registration.device.pk} truck {registration.truck.pk} ({verb})")

    def _read_password(self, from_stdin: bool) -> str:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass("Device password: ")
            if getpass.getpass("Device password (again): ") != password:
                raise CommandError("the passwords do not match")
        if not password:
            raise CommandError("the password is empty")
        return password
