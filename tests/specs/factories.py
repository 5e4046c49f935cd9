import factory
from factory.django import DjangoModelFactory

from collaboration.models import AccessType, ProjectShare, Team, TeamMember
from socrates.databases import SPECS
from specs.models import Project
from tests.accounts.factories import UserFactory


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project
        database = SPECS

    name = factory.Sequence(lambda n: f"Idea {n}")
    owner_id = factory.LazyFunction(lambda: UserFactory().pk)
    user_id = factory.SelfAttribute("owner_id")
    creator_id = factory.SelfAttribute("owner_id")


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        database = SPECS

    name = factory.Sequence(lambda n: f"team{n}")
    owner_id = factory.LazyFunction(lambda: UserFactory().pk)


class TeamMemberFactory(DjangoModelFactory):
    class Meta:
        model = TeamMember
        database = SPECS

    team = factory.SubFactory(TeamFactory)
    user_id = factory.LazyFunction(lambda: UserFactory().pk)


class ShareFactory(DjangoModelFactory):
    """A share to one user (``shared_with_user_id``) or to a team (``shared_with_team``)."""

    class Meta:
        model = ProjectShare
        database = SPECS

    project = factory.SubFactory(ProjectFactory)
    shared_by_id = factory.SelfAttribute("project.owner_id")
    access_type = factory.LazyAttribute(
        lambda share: AccessType.SHARED_TEAM if share.shared_with_team else AccessType.SHARED_USER
    )
    shared_with_team = None
