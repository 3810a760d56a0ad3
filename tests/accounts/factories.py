import factory

from accounts import services
from accounts.models import Role, User

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    """Users made through `services.create_user`, so role, staff flag and groups agree."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password = PASSWORD
    role = Role.CITIZEN
    area = factory.LazyAttribute(lambda o: "medicine" if o.role == Role.EXPERT else "")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    watcher = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.create_user(validate=False, **kwargs)


class LabelerFactory(factory.django.DjangoModelFactory):
    """A crowd labeler as seed 000's login makes one."""

    class Meta:
        model = User

    client_id = factory.Sequence(lambda n: f"uuid.{n}")

    @classmethod
    def _create(cls, model_class, *args, client_id, client_type=None, **kwargs):
        user = services.log_in_labeler(client_id=client_id).user
        if client_type is not None:
            user = services.set_client_type(user=user, client_type=client_type)
        return user
