from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from accounts.models import Role, User

# Apps that contribute demo data through `<app>/demo.py: load_demo_data(*, stdout)` (idempotent).
DEMO_APPS = ("videos", "datasets", "tasks", "alerts", "verification")
# Demo accounts for a fresh machine; their passwords are printed and documented, so never run this
# against a production database.
DEMO_USERS = (
    {"username": "manager", "password": "manager-demo-2026", "role": Role.MANAGER, "area": "", "watcher": True},
    {"username": "expert", "password": "expert-demo-2026", "role": Role.EXPERT, "area": "medicine", "watcher": False},
    {
        "username": "researcher",
        "password": "researcher-demo-2026",
        "role": Role.RESEARCHER,
        "area": "",
        "watcher": False,
    },
    {"username": "citizen", "password": "citizen-demo-2026", "role": Role.CITIZEN, "area": "", "watcher": False},
    {"username": "watcher", "password": "watcher-demo-2026", "role": Role.CITIZEN, "area": "", "watcher": True},
)


class Command(BaseCommand):
    help = "Load demo data (one user per role, plus each app's demo data). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (but print the logins) when any user exists."
        )

    def handle(self, *args, if_empty, **options):
        if if_empty and User.objects.exists():
            self.stdout.write("Database already has users; demo data not loaded.")
        else:
            with transaction.atomic():
                created = [self._ensure(spec) for spec in DEMO_USERS]
            self.stdout.write(f"Demo users: {sum(created)} created, {len(created) - sum(created)} already present.")
            for app_name in DEMO_APPS:
                if apps.is_installed(app_name) and find_spec(f"{app_name}.demo") is not None:
                    import_module(f"{app_name}.demo").load_demo_data(stdout=self.stdout)
        self.stdout.write("Demo logins (username / password, unless changed since):")
        for spec in DEMO_USERS:
            watcher = ", alert watcher" if spec["watcher"] else ""
            self.stdout.write(f"  {spec['username']:<11} {spec['password']:<22} {spec['role']}{watcher}")

    def _ensure(self, spec: dict) -> bool:
        if User.objects.filter(username=spec["username"]).exists():
            return False
        services.create_user(
            username=spec["username"],
            password=spec["password"],
            role=spec["role"],
            area=spec["area"],
            watcher=spec["watcher"],
            validate=False,
        )
        return True
