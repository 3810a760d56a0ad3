"""The platform's REST conventions: one exception handler, scoped querysets, pagination."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.models import Role, User
from labelplatform.api import ScopedQuerysetMixin
from labelplatform.errors import Conflict, DoesNotExist, InvalidInput, NotAllowed, TooLarge
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db
factory = APIRequestFactory()


class RaisingView(APIView):
    permission_classes: list = []
    error: Exception = Exception()

    def get(self, request):
        raise self.error


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (
            InvalidInput("area is too long", field="area"),
            400,
            {"detail": "area is too long", "code": "InvalidInput", "field": "area"},
        ),
        (NotAllowed("not yours", code="not_owner"), 403, {"detail": "not yours", "code": "not_owner"}),
        (DoesNotExist("no such task"), 404, {"detail": "no such task", "code": "DoesNotExist"}),
        (Conflict("already returned", code="returned"), 409, {"detail": "already returned", "code": "returned"}),
        (
            TooLarge("upload too large", field="file"),
            413,
            {"detail": "upload too large", "code": "TooLarge", "field": "file"},
        ),
    ],
)
def test_domain_errors_become_4xx_naming_the_field(error, status, body):
    response = RaisingView.as_view(error=error)(factory.get("/"))
    assert response.status_code == status
    assert response.data == body


@pytest.mark.parametrize(("error", "status"), [(Http404(), 404), (DjangoPermissionDenied(), 403)])
def test_django_errors_become_drf_answers(error, status):
    assert RaisingView.as_view(error=error)(factory.get("/")).status_code == status


class UserRow(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


def experts_of_area(user):
    return User.objects.filter(role=Role.EXPERT, area=user.area).order_by("id")


class ExpertsOfMyArea(ScopedQuerysetMixin, ListAPIView):
    serializer_class = UserRow

    def scoped_queryset(self, user):
        return experts_of_area(user)


class OneExpertOfMyArea(ScopedQuerysetMixin, RetrieveAPIView):
    serializer_class = UserRow

    def scoped_queryset(self, user):
        return experts_of_area(user)


class Unscoped(ScopedQuerysetMixin, ListAPIView):
    serializer_class = UserRow
    queryset = User.objects.all()


def _get(view, user, path="/", **kwargs):
    request = factory.get(path)
    force_authenticate(request, user=user)
    return view.as_view()(request, **kwargs)


def test_scoped_list_shows_only_the_callers_scope_and_pages():
    me = UserFactory(role=Role.EXPERT, area="law")
    mine = [UserFactory(role=Role.EXPERT, area="law") for _ in range(3)]
    UserFactory(role=Role.EXPERT, area="medicine")
    response = _get(ExpertsOfMyArea, me, "/?page_size=2")
    assert response.status_code == 200
    assert response.data["count"] == 4
    assert [row["id"] for row in response.data["results"]] == [me.pk, mine[0].pk]
    assert response.data["next"] is not None


def test_out_of_scope_object_is_404_like_a_missing_one():
    me = UserFactory(role=Role.EXPERT, area="law")
    other = UserFactory(role=Role.EXPERT, area="medicine")
    assert _get(OneExpertOfMyArea, me, pk=other.pk).status_code == 404
    assert _get(OneExpertOfMyArea, me, pk=999999).status_code == 404
    assert _get(OneExpertOfMyArea, me, pk=me.pk).status_code == 200


def test_a_class_level_queryset_is_refused():
    with pytest.raises(ImproperlyConfigured):
        _get(Unscoped, UserFactory())
