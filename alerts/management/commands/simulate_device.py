"""`manage.py simulate_device`: a fake truck that registers and streams alerts, frames and safe frames
to a running platform (alerts.md §7), so anyone can watch the monitor page work."""

from __future__ import annotations

import secrets

from django.core.management.base import BaseCommand, CommandError

from alerts.simulator import (
    TRANSPORTS,
    DeviceError,
    SimulationEvent,
    SimulationPlan,
    make_device,
    random_mac,
    run_simulation,
)


class Command(BaseCommand):
    help = (
        "Register a simulated device (generated MAC and truck name unless given) and, until stopped, open "
        "alerts, stream generated JPEG frames at --rate per second, close them and send safe frames, through "
        "the platform's REST endpoints or /ws/device/."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="The running platform (default %(default)s)."
        )
        parser.add_argument(
            "--transport", choices=sorted(TRANSPORTS), default="rest", help="rest (default), websocket or ws."
        )
        parser.add_argument("--rate", type=float, default=2.0, help="Frames per second while an alert is open.")
        parser.add_argument("--frames-per-alert", type=int, default=10, help="Frames sent before closing an alert.")
        parser.add_argument("--alerts", type=int, default=0, help="Stop after this many alerts (0: until Ctrl-C).")
        parser.add_argument("--pause", type=float, default=3.0, help="Seconds between alerts.")
        parser.add_argument("--safe-every", type=float, default=10.0, help="Seconds between safe frames (0: none).")
        parser.add_argument("--mac", help="Device MAC (default: a random locally administered one).")
        parser.add_argument("--name", help="Truck name (default: sim-<random>).")
        parser.add_argument(
            "--password", help="Device password (default: random; give --mac and --password to reuse a device)."
        )
        parser.add_argument("--size", default="640x360", help="Frame size WIDTHxHEIGHT (default %(default)s).")

    def handle(self, *args, **options):
        for name in ("rate", "pause", "safe_every"):
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} must not be negative")
        if options["frames_per_alert"] < 0 or options["alerts"] < 0:
            raise CommandError("--frames-per-alert and --alerts must not be negative")
        try:
            width, height = (int(part) for part in options["size"].lower().split("x"))
        except ValueError:
            raise CommandError("--size must look like 640x360")
        if not (16 <= width <= 4096 and 16 <= height <= 4096):
            raise CommandError("--size must be between 16x16 and 4096x4096")
        mac = options["mac"] or random_mac()
        name = options["name"] or f"sim-{mac.replace(':', '')[-6:]}"
        password = options["password"] or secrets.token_urlsafe(12)
        plan = SimulationPlan(
            rate=options["rate"],
            frames_per_alert=options["frames_per_alert"],
            safe_every=options["safe_every"],
            pause=options["pause"],
            alerts=options["alerts"],
            width=width,
            height=height,
        )
        device = make_device(options["transport"], options["url"], mac=mac, password=password, name=name)
        self.stdout.write(f"Simulating device {mac} (truck {name!r}) against {options['url']} over {device.transport}.")
        if not options["password"]:
            self.stdout.write(f"Its password is {password!r} (pass --mac and --password to reuse this device).")
        try:
            done = run_simulation(device, plan, report=self._report)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
            return
        except DeviceError as exc:
            raise CommandError(f"The platform refused the device: {exc}")
        except OSError as exc:  # connection refused, DNS, socket closed
            raise CommandError(f"Cannot reach {options['url']}: {exc}")
        finally:
            device.close()
        self.stdout.write(self.style.SUCCESS(f"Done: {done} alerts sent."))

    def _report(self, event: SimulationEvent) -> None:
        if event.kind == "registered":
            self.stdout.write(f"registered: truck id {event.record_id}")
        elif event.kind == "opened":
            self.stdout.write(f"alert {event.alert_id} opened ({event.behavior})")
        elif event.kind == "frame":
            self.stdout.write(f"  frame {event.frame_index} of alert {event.alert_id} stored (id {event.record_id})")
        elif event.kind == "closed":
            self.stdout.write(f"alert {event.alert_id} closed")
        elif event.kind == "safe_frame":
            self.stdout.write(f"safe frame stored (id {event.record_id})")
