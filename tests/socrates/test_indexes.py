"""The indexes added beyond the legacy set, each with the query it serves.

Each query is the ORM query the application runs, over a few hundred
analysed rows; the plan is read with sequential scans discouraged, since on
tables this small the planner would rightly prefer a scan.
"""

import uuid

import pytest
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import IntegrityError, connections, transaction

from accounts.models import AdminRole, User
from collaboration.models import ActivityLog, InvitationStatus, ProjectInvitation, ProjectShare
from collaboration.selectors import project_activity
from rag.models import DocumentChunk
from specs.models import Project, Specification
from specs.selectors import AccessLevel
from tests.test_schema import DOCUMENTED_INDEX_ADDITIONS

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

PROJECT_ID = uuid.UUID("00000000-0000-0000-0000-000000000001")
USER_ID = uuid.UUID("00000000-0000-0000-0000-000000000002")
ROWS = 300


@pytest.fixture(autouse=True)
def analysed_rows():
    User.objects.bulk_create(
        User(email=f"user{n}@example.com", username=f"user{n}") for n in range(ROWS)
    )
    AdminRole.objects.bulk_create(AdminRole(name=f"role{n}") for n in range(ROWS))
    project = Project.objects.create(
        id=PROJECT_ID, name="p", user_id=USER_ID, creator_id=USER_ID, owner_id=USER_ID
    )
    Specification.objects.bulk_create(
        Specification(project=project, key=f"key{n}") for n in range(ROWS)
    )
    ProjectInvitation.objects.bulk_create(
        ProjectInvitation(project=project, invited_by_id=USER_ID, invited_user_id=uuid.uuid4())
        for _ in range(ROWS)
    )
    ProjectInvitation.objects.bulk_create(
        ProjectInvitation(project=project, invited_by_id=USER_ID, invited_email=f"p{n}@example.com")
        for n in range(ROWS)
    )
    ProjectShare.objects.bulk_create(
        ProjectShare(
            project=project,
            shared_with_user_id=uuid.uuid4(),
            shared_by_id=USER_ID,
            access_type="shared_user",
        )
        for _ in range(ROWS)
    )
    ActivityLog.objects.bulk_create(
        ActivityLog(
            user_id=USER_ID,
            action="project_updated",
            resource_type="project",
            resource_id=uuid.uuid4(),
            changes={"project_id": str(uuid.uuid4())},
        )
        for _ in range(ROWS)
    )
    DocumentChunk.objects.bulk_create(
        DocumentChunk(project=project, chunk_index=n, content=f"paragraph {n} about caching")
        for n in range(ROWS)
    )
    for alias, tables in (
        ("auth", ["users", "admin_roles"]),
        (
            "specs",
            [
                "specifications",
                "project_invitations",
                "document_chunks",
                "activity_logs",
                "project_shares",
            ],
        ),
    ):
        with connections[alias].cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


ADDED_INDEXES = {
    "uq_users_email_ci": lambda: User.objects.filter(email__iexact="Ada@Example.com"),
    "uq_users_username_ci": lambda: User.objects.filter(username__iexact="Ada"),
    "uq_admin_roles_name_ci": lambda: AdminRole.objects.filter(name__iexact="Super_Admin"),
    "uq_specifications_current_key": lambda: Specification.objects.filter(
        project_id=PROJECT_ID, key="database", is_current=True
    ),
    "uq_invitations_pending_user": lambda: ProjectInvitation.objects.filter(
        project_id=PROJECT_ID, invited_user_id=USER_ID, status=InvitationStatus.PENDING
    ),
    "uq_invitations_pending_email": lambda: ProjectInvitation.objects.filter(
        project_id=PROJECT_ID,
        invited_email__iexact="Ada@Example.com",
        status=InvitationStatus.PENDING,
    ),
    "uq_project_shares_user": lambda: ProjectShare.objects.filter(
        project_id=PROJECT_ID, shared_with_user_id=USER_ID
    ),
    "uq_project_shares_team": lambda: ProjectShare.objects.filter(
        project_id=PROJECT_ID, shared_with_team_id=USER_ID
    ),
    "ix_activity_logs_project": lambda: project_activity(
        PROJECT_ID, level=AccessLevel.VIEW
    ).order_by("-created_at")[:50],
    "ix_chunks_content_fts": lambda: DocumentChunk.objects.annotate(
        search=SearchVector("content", config="english")
    ).filter(search=SearchQuery("caching", config="english")),
}


def plan_of(queryset) -> str:
    with transaction.atomic(using=queryset.db):
        with connections[queryset.db].cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


def test_every_documented_addition_has_its_query_here():
    assert set(ADDED_INDEXES) == set(DOCUMENTED_INDEX_ADDITIONS)


@pytest.mark.parametrize("index_name", sorted(ADDED_INDEXES))
def test_added_index_serves_its_query(index_name):
    assert index_name in plan_of(ADDED_INDEXES[index_name]())


def test_one_current_specification_per_key_is_enforced_by_the_database():
    with pytest.raises(IntegrityError, match="uq_specifications_current_key"):
        Specification.objects.create(project_id=PROJECT_ID, key="key1", version=2)


def test_a_second_pending_invitation_by_email_in_another_case_is_refused():
    with pytest.raises(IntegrityError, match="uq_invitations_pending_email"):
        ProjectInvitation.objects.create(
            project_id=PROJECT_ID, invited_by_id=USER_ID, invited_email="P1@Example.COM"
        )


@pytest.mark.parametrize(
    ("model", "field", "value", "index"),
    [
        (User, "username", "USER1", "uq_users_username_ci"),
        (AdminRole, "name", "ROLE1", "uq_admin_roles_name_ci"),
    ],
)
def test_a_name_differing_only_in_case_is_refused_by_the_database(model, field, value, index):
    extra = {"email": "twin@example.com"} if model is User else {}
    with pytest.raises(IntegrityError, match=index):
        model.objects.create(**{field: value}, **extra)
