import factory

from accounts.models import UserRole
from rag import services
from rag.models import KnowledgeBaseDocument
from tests.accounts.factories import UserFactory


class DocumentFactory(factory.Factory):
    """A document written through the service, so that it has its chunks."""

    class Meta:
        model = KnowledgeBaseDocument

    title = factory.Sequence(lambda n: f"Guide {n}")
    content = "# Overview\n\nA short guide."
    is_approved = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.create_document(**kwargs)


def staff_user():
    """Staff: a user whose role is admin (``User.is_staff``), with no admin role needed."""
    return UserFactory(role=UserRole.ADMIN)
