"""The videos admin (videos.md §7.5): managers and researchers; labelers pages for managers only.
Every change goes through the services, so it lands in the label history like the API's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from tests.accounts.factories import LabelerFactory
from tests.videos.factories import BatchFactory, LabelFactory, VideoFactory, clip_name
from videos.models import Label, LabelerProfile, Video

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:videos_video_changelist")
LABELERS = reverse("admin:videos_labelerprofile_changelist")


def admin_client(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def manager_web(manager):
    return admin_client(manager)


@pytest.fixture
def researcher_web(researcher):
    return admin_client(researcher)


def run_action(browser, url, action, objects):
    return browser.post(url, {"action": action, "_selected_action": [o.pk for o in objects]}, follow=True)


def test_citizens_do_not_reach_the_videos_admin(citizen):
    browser = admin_client(citizen)
    response = browser.get(CHANGELIST)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_researchers_and_managers_list_and_filter_clips(researcher_web, manager_web):
    gold = VideoFactory(label_state_admin=47)
    fresh = VideoFactory()
    for browser in (researcher_web, manager_web):
        response = browser.get(CHANGELIST)
        assert response.status_code == 200
        html = response.content.decode()
        assert gold.file_name in html and fresh.file_name in html
        assert "Gold Pos" in html and "final label" in html

        only_gold = browser.get(CHANGELIST, {"label_state_admin__exact": 47}).content.decode()
        assert gold.file_name in only_gold and fresh.file_name not in only_gold
        found = browser.get(CHANGELIST, {"q": fresh.file_name}).content.decode()
        assert fresh.file_name in found and gold.file_name not in found
        undecided = browser.get(CHANGELIST, {"final": "undecided"}).content.decode()
        assert fresh.file_name in undecided and gold.file_name not in undecided


@pytest.mark.parametrize(
    ("action", "state"),
    [("set_researcher_state_47", 47), ("set_researcher_state_32", 32), ("set_researcher_state_minus_2", -2)],
)
def test_state_actions_go_through_set_label_state(researcher_web, researcher, action, state):
    clips = VideoFactory.create_batch(2, label_state=5)
    response = run_action(researcher_web, CHANGELIST, action, clips)
    assert response.status_code == 200
    assert "2 clips now have researcher state" in response.content.decode()
    for clip in clips:
        clip.refresh_from_db()
        assert clip.label_state_admin == state
        assert clip.label_state == 5  # the citizens' column is never touched
        assert clip.label_update_time is not None
        label = Label.objects.get(video=clip)
        assert (label.user, label.batch, label.label) == (researcher, None, state)


def test_the_clips_admin_speaks_simplified_chinese(manager):
    browser = Client(HTTP_ACCEPT_LANGUAGE="zh-Hans")
    browser.force_login(manager)
    clips = VideoFactory.create_batch(2, label_state_admin=47)
    html = browser.get(CHANGELIST).content.decode()
    assert "研究员状态" in html and "最终标注" in html  # column titles
    assert "设置研究员状态:金标准:有烟" in html and "标为无效数据(两列)" in html  # action names
    assert "金标准:有烟" in html and "金标准或无效数据" in html  # cells: researcher state, final label
    assert "Set researcher state" not in html and "final label" not in html
    response = run_action(browser, CHANGELIST, "set_researcher_state_32", clips)
    assert "已将 2 个视频片段的研究员状态设为 金标准:无烟。" in response.content.decode()


def test_a_manager_who_is_not_a_researcher_may_set_states(manager_web, manager):
    clip = VideoFactory()
    run_action(manager_web, CHANGELIST, "set_researcher_state_23", [clip])
    clip.refresh_from_db()
    assert clip.label_state_admin == 23
    assert Label.objects.get(video=clip).user == manager


def test_mark_bad_sets_both_columns_and_is_recorded(researcher_web, researcher):
    clip = VideoFactory(label_state=23, label_state_admin=16)
    other = VideoFactory()
    run_action(researcher_web, CHANGELIST, "mark_bad", [clip])
    clip.refresh_from_db()
    other.refresh_from_db()
    assert (clip.label_state, clip.label_state_admin) == (-2, -2)
    assert (other.label_state, other.label_state_admin) == (-1, -1)
    assert Label.objects.filter(video=clip, user=researcher, label=-2).exists()


def test_mark_similar_clips_as_bad_uses_the_mark_bad_videos_rule(researcher_web):
    base = clip_name(1, left=500, top=700)
    same_region = VideoFactory(file_name=clip_name(2, left=500, top=700))
    elsewhere = VideoFactory(file_name=clip_name(3, left=900, top=700))
    other_day = VideoFactory(file_name=clip_name(4, left=500, top=700, date="2019-01-20"))
    selected = VideoFactory(file_name=base)
    response = run_action(researcher_web, CHANGELIST, "mark_similar_bad", [selected])
    assert "2 clips similar to the selection marked as bad" in response.content.decode()
    states = dict(Video.objects.values_list("pk", "label_state_admin"))
    assert states[selected.pk] == states[same_region.pk] == -2
    assert states[elsewhere.pk] == -1
    assert states[other_day.pk] == -1


def test_clip_page_plays_the_clip_and_shows_the_full_history(manager_web, settings):
    settings.VIDEO_URL_ROOT = None
    clip = VideoFactory()
    labeler = LabelerFactory()
    batch = BatchFactory(user=labeler, video_ids=[clip.pk])
    LabelFactory(video=clip, user=labeler, batch=batch, label=1)
    LabelFactory(video=clip, user=labeler, batch=None, label=47)
    response = manager_web.get(reverse("admin:videos_video_change", args=[clip.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="clip-player"' in html
    assert f"/media/videos/320/{clip.url_part.replace('-180-180-', '-320-320-')}" in html
    assert 'data-testid="label-history"' in html
    assert html.count("<tr>", html.index('data-testid="label-history"')) >= 2
    assert f"batch {batch.pk}" in html
    assert "researcher decision" in html
    assert "set Gold Pos" in html
    assert reverse("admin:videos_labelerprofile_change", args=[labeler.pk]) in html


def test_researchers_see_the_history_without_links_to_the_users_pages(researcher_web):
    clip = VideoFactory()
    labeler = LabelerFactory()
    LabelFactory(video=clip, user=labeler, label=1)
    html = researcher_web.get(reverse("admin:videos_video_change", args=[clip.pk])).content.decode()
    assert labeler.username in html
    assert reverse("admin:videos_labelerprofile_change", args=[labeler.pk]) not in html


def test_clip_page_change_goes_through_the_service_and_ignores_other_fields(researcher_web, researcher):
    clip = VideoFactory(label_state=5)
    url = reverse("admin:videos_video_change", args=[clip.pk])
    response = researcher_web.post(url, {"new_state": "32", "file_name": "tampered", "label_state": "23"})
    assert response.status_code == 302
    clip.refresh_from_db()
    assert clip.label_state_admin == 32
    assert clip.label_state == 5
    assert clip.file_name != "tampered"
    assert Label.objects.get(video=clip).user == researcher

    response = researcher_web.post(url, {"new_state": "bad-both"})
    clip.refresh_from_db()
    assert (clip.label_state, clip.label_state_admin) == (-2, -2)

    response = researcher_web.post(url, {"new_state": "99"})
    assert response.status_code == 200  # the form refuses a code outside the list
    assert Label.objects.filter(video=clip).count() == 2


def test_clips_cannot_be_added_or_deleted_in_the_admin(manager_web):
    clip = VideoFactory()
    assert manager_web.get(reverse("admin:videos_video_add")).status_code == 403
    assert manager_web.post(reverse("admin:videos_video_delete", args=[clip.pk]), {"post": "yes"}).status_code == 403
    assert Video.objects.filter(pk=clip.pk).exists()


def _labeler_with_batches(passed: int, failed: int, *, score: int = 0):
    user = LabelerFactory()
    LabelerProfile.objects.filter(user=user).update(score=score, raw_score=12 * (passed + failed))
    for _ in range(passed):
        BatchFactory(user=user, score=12)
    for _ in range(failed):
        BatchFactory(user=user, score=0)
    return user


def test_labelers_list_shows_scores_and_batches_passed_and_failed(manager_web):
    good = _labeler_with_batches(3, 1, score=36)
    _labeler_with_batches(0, 2)
    response = manager_web.get(LABELERS)
    assert response.status_code == 200
    html = response.content.decode()
    assert good.client_id in html
    for header in ("score", "raw score", "batches passed", "batches failed", "client type"):
        assert header in html.lower()
    row = html[html.index(good.client_id) :]
    row = row[: row.index("</tr>")]
    assert ">36<" in row and ">48<" in row and ">3<" in row and ">1<" in row

    filtered = manager_web.get(LABELERS, {"score_range": "1-99"}).content.decode()
    assert good.client_id in filtered
    assert manager_web.get(LABELERS, {"score_range": "1000+"}).content.decode().count(good.client_id) == 0


def test_labeler_page_summarises_batches_and_labels(manager_web):
    user = _labeler_with_batches(2, 1, score=24)
    clip = VideoFactory()
    LabelFactory(video=clip, user=user, label=1)
    html = manager_web.get(reverse("admin:videos_labelerprofile_change", args=[user.pk])).content.decode()
    summary = html[html.index('data-testid="labeler-summary"') :]
    assert "<dt>batches passed</dt><dd>2</dd>" in summary
    assert "<dt>batches failed</dt><dd>1</dd>" in summary
    assert "<dt>labels</dt><dd>1</dd>" in summary
    assert clip.file_name in html


def test_score_correction_goes_through_the_service(manager_web):
    user = _labeler_with_batches(1, 0, score=12)
    url = reverse("admin:videos_labelerprofile_change", args=[user.pk])
    response = manager_web.post(url, {"score": "0", "raw_score": "12"})
    assert response.status_code == 302
    assert LabelerProfile.objects.get(user=user).score == 0
    response = manager_web.post(url, {"score": "-5", "raw_score": "12"})
    assert response.status_code == 200
    assert LabelerProfile.objects.get(user=user).score == 0


@pytest.mark.parametrize(
    ("action", "client_type", "role"),
    [
        ("set_client_type_0", 0, Role.RESEARCHER),
        ("set_client_type_1", 1, Role.CITIZEN),
        ("set_client_type_minus_1", -1, Role.CITIZEN),
    ],
)
def test_client_type_actions_go_through_set_client_type(manager_web, action, client_type, role):
    user = LabelerFactory()
    run_action(manager_web, LABELERS, action, [LabelerProfile.objects.get(user=user)])
    user.refresh_from_db()
    assert user.client_type == client_type
    assert user.role == role


def test_labelers_pages_are_for_managers_only(researcher_web):
    user = LabelerFactory()
    assert researcher_web.get(LABELERS).status_code == 403
    assert researcher_web.get(reverse("admin:videos_labelerprofile_change", args=[user.pk])).status_code == 403
    response = run_action(researcher_web, LABELERS, "set_client_type_0", [LabelerProfile.objects.get(user=user)])
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.client_type == 3


@pytest.mark.parametrize("model", ["label", "batch", "view", "tutorial"])
def test_audit_lists_are_read_only(researcher_web, model):
    assert researcher_web.get(reverse(f"admin:videos_{model}_changelist")).status_code == 200
    assert researcher_web.get(reverse(f"admin:videos_{model}_add")).status_code == 403


def test_label_audit_list_shows_who_said_what(researcher_web):
    label = LabelFactory(label=1)
    html = researcher_web.get(reverse("admin:videos_label_changelist")).content.decode()
    assert label.video.file_name in html
    assert label.user.username in html
    response = researcher_web.post(reverse("admin:videos_label_change", args=[label.pk]), {"label": "0"})
    assert response.status_code == 403
    label.refresh_from_db()
    assert label.label == 1
