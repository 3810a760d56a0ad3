"""Demo trucks, a demo device per truck and a few closed alerts with generated frames, so the monitor
page shows something on a fresh `make run` (called by `manage.py seed_demo`; idempotent).

Everything goes through `alerts.services`, as a real device's requests would. The demo devices'
password is public (like the demo users'): never load demo data into a production database.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from alerts import services
from alerts.models import Behavior, Device
from alerts.simulator import render_frame
from labelplatform.errors import DomainError

DEMO_DEVICE_PASSWORD = "device-demo-2026"
# (truck name, device MAC, behaviors of its past alerts, oldest first)
DEMO_TRUCKS = (
    ("Haul truck 101", "02:de:00:00:01:01", (Behavior.SINGLE_HAND, Behavior.UNSAFE)),
    ("Haul truck 102", "02:de:00:00:01:02", (Behavior.EATING_DRINKING,)),
    ("Haul truck 103", "02:de:00:00:01:03", (Behavior.TAMPER, Behavior.UNSAFE)),
)
FRAMES_PER_ALERT = 3
FRAME_SIZE = (480, 270)


def _frame(truck_name: str, behavior: str, index: int, at) -> bytes:
    width, height = FRAME_SIZE
    return render_frame(
        width=width, height=height, label=f"{truck_name} - {behavior}", detail=f"{at:%Y-%m-%d %H:%M:%S}", index=index
    )


def _load_truck(name: str, mac: str, behaviors, now, offset: int) -> str:
    known = Device.objects.filter(mac=mac).select_related("truck").first()
    if known is not None and known.truck.alerts.exists():
        return "present"
    registration = services.register_device(mac=mac, password=DEMO_DEVICE_PASSWORD, name=name)
    device, truck = registration.device, registration.truck
    for number, behavior in enumerate(behaviors):
        start = now - timedelta(hours=2 * (len(behaviors) - number), minutes=7 * number + 13 * offset + 3)
        alert = services.open_alert(device=device, truck_id=truck.pk, behavior=behavior, alert_init=start).alert
        for index in range(FRAMES_PER_ALERT):
            at = start + timedelta(seconds=2 * index)
            services.add_frame(
                device=device,
                alert_id=alert.pk,
                frame_timestamp=at,
                image=_frame(name, behavior, index, at),
                frame_index=index,
            )
        services.close_alert(alert=alert, alert_end=start + timedelta(seconds=2 * FRAMES_PER_ALERT), device=device)
    safe_at = now - timedelta(minutes=5)
    services.add_safe_frame(
        device=device, truck_id=truck.pk, frame_timestamp=safe_at, image=_frame(name, Behavior.SAFE, 0, safe_at)
    )
    return "created"


def load_demo_data(*, stdout) -> None:
    now = timezone.now().replace(microsecond=0)
    created = present = 0
    for offset, (name, mac, behaviors) in enumerate(DEMO_TRUCKS):
        try:
            outcome = _load_truck(name, mac, behaviors, now, offset)
        except DomainError as exc:  # e.g. the demo device's password was changed in the admin
            stdout.write(f"Alerts demo: truck {name!r} skipped ({exc}).")
            continue
        created += outcome == "created"
        present += outcome == "present"
    stdout.write(
        f"Alerts demo: {created} trucks with alerts and frames created, {present} already present "
        f"(demo device password {DEMO_DEVICE_PASSWORD!r})."
    )
