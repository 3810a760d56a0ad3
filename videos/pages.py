"""The labeling page and the gallery (videos.md §5, §6.5): static shells whose scripts call the seed 000
API exactly as the original front-end did.

Who the pages label as:
- a visitor signed in on the web (session) gets a seed 000 `user_token` for that account from
  `PageTokenView`: a POST protected by the session's CSRF token, so another site cannot obtain one. It
  records a `Connection` like `/api/v1/login` does and carries the same claims (videos.md §3.1), so the
  page's score and "my contributions" belong to the signed-in person (Google sign-in reuses the labeler
  `google.<sub>`, docs/accounts.md); it lives 12 hours and dies with a password change;
- an anonymous visitor logs in through `/api/v1/login` with a random `uuid.<epoch ms>.<hex>` client id
  kept in the browser, as the original front-end did without Google.
"""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ClientType
from accounts.tokens import issue_user_token
from videos import services, states

# The gallery's names for the label states (videos.md §1.2), in the reader's language.
STATE_TITLES = {
    47: gettext_lazy("Gold Pos"),
    32: gettext_lazy("Gold Neg"),
    23: gettext_lazy("Strong Pos"),
    16: gettext_lazy("Strong Neg"),
    19: gettext_lazy("Weak Pos"),
    20: gettext_lazy("Weak Neg"),
    15: gettext_lazy("Medium Pos"),
    12: gettext_lazy("Medium Neg"),
    5: gettext_lazy("Maybe Pos"),
    4: gettext_lazy("Maybe Neg"),
    3: gettext_lazy("Discord"),
    -1: gettext_lazy("No Data"),
    -2: gettext_lazy("Bad Data"),
}
# What a researcher may pick in the gallery (the original's dropdown): gold, decisions, bad, reset.
RESEARCHER_CHOICES = (47, 32, 23, 16, 19, 20, -2, -1)
CLIENT_TYPE_TITLES = {
    ClientType.BLACKLISTED: gettext_lazy("blacklisted"),
    ClientType.RESEARCHER: gettext_lazy("researcher"),
    ClientType.EXPERT: gettext_lazy("expert labeler"),
    ClientType.AMATEUR: gettext_lazy("amateur"),
    ClientType.LAYPERSON: gettext_lazy("layperson"),
}
# (key, endpoint, title, dashboard): dashboard listings are for client types 0 and 1 (videos.md §5.5).
LISTINGS = (
    ("pos", "get_pos_labels", gettext_lazy("Smoke (final label)"), False),
    ("neg", "get_neg_labels", gettext_lazy("No smoke (final label)"), False),
    ("maybe_pos", "get_maybe_pos_labels", gettext_lazy("Maybe smoke (one vote)"), False),
    ("maybe_neg", "get_maybe_neg_labels", gettext_lazy("Maybe no smoke (one vote)"), False),
    ("discord", "get_discorded_labels", gettext_lazy("Disagreement"), False),
    ("gold_pos", "get_pos_gold_labels", gettext_lazy("Gold standards: smoke"), True),
    ("gold_neg", "get_neg_gold_labels", gettext_lazy("Gold standards: no smoke"), True),
    ("researcher_pos", "get_pos_labels_by_researcher", gettext_lazy("Smoke by researchers"), True),
    ("researcher_neg", "get_neg_labels_by_researcher", gettext_lazy("No smoke by researchers"), True),
    ("citizen_pos", "get_pos_labels_by_citizen", gettext_lazy("Smoke by citizens"), True),
    ("citizen_neg", "get_neg_labels_by_citizen", gettext_lazy("No smoke by citizens"), True),
    ("bad", "get_bad_labels", gettext_lazy("Bad clips"), True),
)
API = "/api/v1/"
# Lifetime of the token a page gets for its signed-in user (a login's lives USER_TOKEN_LIFETIME, 7 days).
PAGE_TOKEN_LIFETIME = timedelta(hours=12)
GALLERY_PAGE_SIZE = 16


def _common_config(request) -> dict:
    return {
        "signedIn": request.user.is_authenticated,
        "tokenUrl": reverse("videos:page-token"),
        "api": {
            "login": API + "login",
            "getBatch": API + "get_batch",
            "sendBatch": API + "send_batch",
            "setLabelState": API + "set_label_state",
            "posLabels": API + "get_pos_labels",
            "statistics": API + "get_label_statistics",
        },
    }


def _common_text() -> dict:
    return {
        "tokenFailed": _("Could not sign you in for labeling."),
        "loadFailed": _("Could not load the clips. Please try again."),
        "states": {str(code): str(title) for code, title in STATE_TITLES.items()},
        "clientTypes": {str(int(code)): str(title) for code, title in CLIENT_TYPE_TITLES.items()},
    }


def label_page(request):
    """Anyone may label: signed-in users as themselves, others as an anonymous labeler of this browser."""
    config = _common_config(request)
    config.update(
        {
            "galleryUrl": reverse("videos:gallery"),
            "waitSeconds": states.VIDEO_TOKEN_NBF_SECONDS,
            "playSize": 320,
            "text": {
                **_common_text(),
                "noBatch": _("No clips need labels right now. Please come back later."),
                "sendFailed": _("Could not send your answers. Please try again."),
                "waitSeconds": _("Watch the clips: you can submit in {seconds} s"),
                "selected": _("{count} of {total} clips marked as smoke"),
                "clipLabel": _("Clip {number}"),
                "smoke": _("Smoke"),
                "passed": _("Thank you! Batch accepted: +{points} points."),
                "failed": _(
                    "This batch did not pass the quality check, so it does not count. Look closely at each clip."
                ),
                "researcherSaved": _("Thank you! Your researcher labels are saved."),
                "contributions": _("{count} clips you marked as smoke"),
            },
        }
    )
    return render(request, "videos/label.html", {"videos_config": config})


def gallery_page(request):
    """Public listings for everyone; dashboard listings and the state dropdown follow the client type."""
    config = _common_config(request)
    listings = [
        {"key": key, "url": API + endpoint, "title": str(title), "dashboard": dashboard, "mine": False}
        for key, endpoint, title, dashboard in LISTINGS
    ]
    listings.append(
        {"key": "mine", "url": API + "get_pos_labels", "title": _("My contributions"), "dashboard": False, "mine": True}
    )
    config.update(
        {
            "listings": listings,
            "pageSize": GALLERY_PAGE_SIZE,
            "researcherChoices": [{"code": code, "name": str(STATE_TITLES[code])} for code in RESEARCHER_CHOICES],
            "confirmedStates": sorted(states.CONFIRMED_POS),
            "text": {
                **_common_text(),
                "empty": _("No clips in this list."),
                "total": _("{count} clips"),
                "pageOf": _("Page {page} of {pages}"),
                "clipTitle": _("Clip #{id}"),
                "citizen": _("Citizens"),
                "researcher": _("Researchers"),
                "confirmed": _("Confirmed smoke"),
                "setState": _("Set state"),
                "setStateFor": _("Set the state of clip #{id}"),
                "saved": _("Clip #{id} is now {state}."),
                "saveFailed": _("Could not change the state. Please try again."),
                "statistics": _("{all} clips, {full} fully labeled, {partial} partially labeled."),
            },
        }
    )
    return render(request, "videos/gallery.html", {"videos_config": config})


class PageTokenSerializer(serializers.Serializer):
    user_token = serializers.CharField(
        help_text="Seed 000 user token of the signed-in user: the claims of /api/v1/login, living PAGE_TOKEN_LIFETIME."
    )
    expires_in = serializers.IntegerField(help_text="Seconds until the token expires.")


class PageTokenRefusal(serializers.Serializer):
    detail = serializers.CharField()


class MayLabel(permissions.BasePermission):
    """Signed in, active and not blacklisted (a blacklisted labeler is refused everywhere)."""

    message = "Permission denied"

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.may_act)


class PageTokenView(APIView):
    """A seed 000 user token for the session user of the labeling page and the gallery (session + CSRF).

    Web users may be staff, and any access token of a user is accepted wherever a user token is, so this
    token is shorter-lived than a login's (`PAGE_TOKEN_LIFETIME`; the pages fetch a new one when it
    expires) and, for accounts with a password, stops working when the password changes. No
    `user_token_for_other_app`: the pages do not need it.
    """

    authentication_classes = [SessionAuthentication]
    permission_classes = [MayLabel]

    @extend_schema(
        tags=["seed 000: crowd labeling"],
        summary="Pages: a seed 000 user token for the signed-in session user (records a connection)",
        request=None,
        responses={
            200: PageTokenSerializer,
            403: OpenApiResponse(
                PageTokenRefusal, description="Not signed in, blacklisted or inactive, or no CSRF token"
            ),
        },
    )
    def post(self, request):
        user = request.user
        connection = services.connect_labeler(user=user)
        profile = services.ensure_profile(user)
        token = issue_user_token(
            user,
            lifetime=PAGE_TOKEN_LIFETIME,
            issued_at=connection.time,
            bound_to_password=user.has_usable_password(),
            client_type=connection.client_type,
            connection_id=connection.pk,
            user_score=profile.score,
            user_raw_score=profile.raw_score,
        )
        return Response({"user_token": token, "expires_in": int(PAGE_TOKEN_LIFETIME.total_seconds())})
