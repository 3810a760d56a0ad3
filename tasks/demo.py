"""Demo Q&A data for a fresh `make run` (called by `manage.py seed_demo`; idempotent).

Two datasets uploaded by the demo manager through the same services as `/dataset/upload` and
`/task/assign`: "Demo · clinic Q&A" (areas medicine, law, finance; medicine assigned to the demo expert
with a notice, law and finance left for the manager to assign) and "Demo · follow-ups" (medicine, assigned
to the demo expert and urged). No extra demo user: seed_demo's users are the documented set. Two items
are already labeled and one of them reviewed, so the cockpit's progress, review queue and history show
something.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User

DATASET = "Demo · clinic Q&A"
FOLLOW_UPS = "Demo · follow-ups"
NOTICE = (
    "Put the best answer first. Drop answers that are wrong or unsafe; drop the whole item if the question "
    "cannot be answered without an examination."
)


def _answers(*texts: str) -> list[dict]:
    return [{"answer": text, "ranking_number": 0, "reserve": 1} for text in texts]


CLINIC_ROWS = [
    {
        "data_background": "A 30-year-old adult has had a fever of 38.5 °C for three days.",
        "data_question": "What should they do about a fever that lasts three days?",
        "data_answer": _answers(
            "Drink fluids and rest; it will pass.",
            "See a doctor: a fever lasting more than three days needs an examination.",
            "Take antibiotics left over from last time.",
        ),
        "data_area": "medicine",
        "data_keyword": "fever",
        "other": "",
    },
    {
        "data_background": "A parent asks about a child's dose of paracetamol.",
        "data_question": "How is a child's paracetamol dose chosen?",
        "data_answer": _answers(
            "By the child's weight, following the leaflet or a pharmacist.",
            "Half an adult tablet is always right.",
        ),
        "data_area": "medicine",
        "data_keyword": "dose",
        "other": "",
    },
    {
        "data_background": "Seasonal allergies every spring.",
        "data_question": "Can antihistamines be taken every day in spring?",
        "data_answer": _answers(
            "Many non-drowsy antihistamines are meant for daily use during the season; ask a pharmacist.",
            "Never take them more than once a week.",
            "Only with a prescription from a specialist.",
        ),
        "data_area": "medicine",
        "data_keyword": "allergy",
        "other": "",
    },
    {
        "data_background": "",
        "data_question": "How long should a sprained ankle be rested?",
        "data_answer": _answers("A few days of rest, ice and elevation, then gentle movement.", "Six weeks in a cast."),
        "data_area": "medicine",
        "data_keyword": "sprain",
        "other": "",
    },
    {
        "data_background": "A tenant's landlord keeps the deposit without a reason.",
        "data_question": "Can a landlord keep a deposit without giving a reason?",
        "data_answer": _answers(
            "Usually not: deductions must be justified and itemised.", "Yes, the deposit belongs to the landlord."
        ),
        "data_area": "law",
        "data_keyword": "tenancy",
        "other": "",
    },
    {
        "data_background": "",
        "data_question": "Is a verbal contract binding?",
        "data_answer": _answers("Often yes, but it is harder to prove.", "Never."),
        "data_area": "law",
        "data_keyword": "contract",
        "other": "",
    },
    {
        "data_background": "Saving for retirement in their twenties.",
        "data_question": "Should a young saver prefer index funds or single stocks?",
        "data_answer": _answers("Broad index funds spread the risk at low cost.", "One promising stock is enough."),
        "data_area": "finance",
        "data_keyword": "investing",
        "other": "",
    },
    {
        "data_background": "",
        "data_question": "What is an emergency fund?",
        "data_answer": _answers("Savings covering a few months of expenses, kept easy to reach.", "A credit card."),
        "data_area": "finance",
        "data_keyword": "saving",
        "other": "",
    },
]

FOLLOW_UP_ROWS = [
    {
        "data_background": "Follow-up visit after a chest infection.",
        "data_question": "Which results should a patient bring to a follow-up visit?",
        "data_answer": _answers(
            "The latest blood tests and the X-ray report.",
            "Nothing: the clinic has everything.",
            "Every test since childhood.",
        ),
        "data_area": "medicine",
        "data_keyword": "follow-up",
        "other": "",
    },
    {
        "data_background": "",
        "data_question": "When should blood pressure be measured at home?",
        "data_answer": _answers(
            "Morning and evening, seated, after a few minutes of rest.", "Right after exercise.", "Once a year."
        ),
        "data_area": "medicine",
        "data_keyword": "blood pressure",
        "other": "",
    },
    {
        "data_background": "",
        "data_question": "How long after surgery can a patient shower?",
        "data_answer": _answers("Follow the surgeon's instructions, often after 48 hours.", "Immediately."),
        "data_area": "medicine",
        "data_keyword": "surgery",
        "other": "",
    },
]


def load_demo_data(*, stdout) -> None:
    from datasets.models import Dataset
    from datasets.services import upload_dataset
    from tasks import services

    if Dataset.objects.filter(name=DATASET).exists():
        stdout.write("Q&A demo data already present.")
        return
    manager = User.objects.filter(username="manager").first()
    expert = User.objects.filter(username="expert", role=Role.EXPERT).first()
    if manager is None or expert is None:
        stdout.write("Q&A demo data skipped: the demo manager and expert are missing.")
        return
    now = timezone.now()
    with transaction.atomic():
        clinic = upload_dataset(
            name=DATASET, task_type="qa-ranking", source="demo clinic", rows=CLINIC_ROWS, uploaded_by=manager
        )
        follow_ups = upload_dataset(
            name=FOLLOW_UPS, task_type="qa-followup", source="demo clinic", rows=FOLLOW_UP_ROWS, uploaded_by=manager
        )
        (medicine,) = services.assign_area(
            dataset=clinic,
            area="medicine",
            experts=[expert],
            notice=NOTICE,
            due_time=now + timedelta(days=7),
            by=manager,
        )
        (urgent,) = services.assign_area(
            dataset=follow_ups,
            area="medicine",
            experts=[expert],
            notice="The clinic needs these answers before Friday.",
            due_time=now + timedelta(days=2),
            by=manager,
        )
        services.urge_task(task=urgent, by=manager)
        first, second = list(medicine.items.order_by("position")[:2])
        services.label_item(
            item_id=first.pk,
            question=first.question,
            answers=[
                {**first.answer[1], "ranking_number": 1, "reserve": 1},
                {**first.answer[0], "ranking_number": 2, "reserve": 1},
                {**first.answer[2], "ranking_number": 3, "reserve": 0},
            ],
            data_reserve=1,
            by=expert,
        )
        services.label_item(
            item_id=second.pk,
            question=second.question,
            answers=[
                {**second.answer[0], "ranking_number": 1, "reserve": 1},
                {**second.answer[1], "ranking_number": 2, "reserve": 0},
            ],
            data_reserve=1,
            by=expert,
        )
        first.refresh_from_db()
        services.review_item(item=first, accept=True, comment="Good ranking.", score="A", by=manager)
    stdout.write(
        f"Q&A demo data: datasets “{DATASET}” and “{FOLLOW_UPS}”, two tasks for {expert.username} "
        "(one urged); areas law and finance left to assign."
    )
