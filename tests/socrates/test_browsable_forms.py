"""The browsable API's HTML pages show a caller nothing of other people's rows.

Every list and detail route, found from the URL resolver, is opened as a page
(``Accept: text/html``) by callers who own a world of their own, while another
user's world sits in the same databases: no id of the other world may appear
in any page (its forms' ``<option>``s included), and the caller's own related
rows must be offered, so that the forms were really drawn.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from billing import services as billing_services
from collaboration import services as collaboration_services
from collaboration.models import NotificationPreference, SharePermission
from collaboration.services import ActivityContext
from specs import services as specs_services
from specs.models import ConversationMessage, GeneratedFile, QualityMetric, Specification
from tests.accounts.factories import UserFactory
from tests.billing.factories import InvoiceFactory, LLMUsageFactory, SubscriptionFactory
from tests.rag.factories import DocumentFactory
from tests.specs.factories import ProjectFactory, TeamFactory, TeamMemberFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class World:
    """One user's rows, one of each kind a page can show or a form can offer."""

    user: User
    rows: dict[str, object] = field(default_factory=dict)

    def ids(self) -> set[str]:
        return {str(self.user.pk)} | {str(row.pk) for row in self.rows.values()}


def build_world(user: User) -> World:
    context = ActivityContext(user_id=user.pk)
    project = ProjectFactory(owner_id=user.pk, user_id=user.pk, creator_id=user.pk)
    session = specs_services.start_session(context=context, project=project, title="Kick-off")
    team = TeamFactory(owner_id=user.pk, name=f"team of {user.username}")
    generated = specs_services.create_generated_project(project=project, name="api")
    subscription = SubscriptionFactory(user_id=user.pk)
    rows = {
        "project": project,
        "session": session,
        "team": team,
        "membership": TeamMemberFactory(team=team, user_id=user.pk),
        "share": collaboration_services.create_share(
            context=context,
            project=project,
            shared_with_team=team,
            permission_level=SharePermission.VIEW,
        ),
        "invitation": collaboration_services.invite(
            context=context, project=project, invited_email=f"friend-of-{user.email}"
        ).invitation,
        "question": specs_services.create_question(
            project=project, text="Which database?", session=session
        ),
        "conflict": specs_services.create_conflict(project=project, title="Two databases"),
        "specification": Specification.objects.create(
            project=project, key="database", value="PostgreSQL"
        ),
        "message": ConversationMessage.objects.create(
            session=session, role="user", content="Hello"
        ),
        "generated": generated,
        "generated_file": GeneratedFile.objects.create(
            generated_project=generated, path="main.py", filename="main.py"
        ),
        "quality_metric": QualityMetric.objects.create(
            project=project, metric_name="coverage", metric_value=1
        ),
        "subscription": subscription,
        "invoice": InvoiceFactory(user_id=user.pk, subscription=subscription),
        "usage": LLMUsageFactory(user_id=user.pk, project_id=project.pk),
        "api_key": billing_services.create_api_key(
            context=context, name="ci", scope=["read"]
        ).api_key,
        "preference": NotificationPreference.objects.create(
            user_id=user.pk, notification_type="digest"
        ),
        # Unapproved: seen by staff only, not by the other user.
        "document": DocumentFactory(is_approved=False),
    }
    return World(user=user, rows=rows)


def routes() -> list[tuple[str, tuple[str, ...]]]:
    """(URL name, its keyword arguments) of every API route a page is drawn for."""
    found = []

    def walk(patterns, namespace, outer_keywords):
        for pattern in patterns:
            keywords = outer_keywords | set(pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, keywords)
            elif (
                isinstance(pattern, URLPattern)
                and hasattr(pattern.callback, "cls")
                and pattern.name
                and "format" not in keywords
            ):
                found.append((f"{namespace}{pattern.name}", tuple(sorted(keywords))))

    walk(get_resolver().url_patterns, "", set())
    return sorted(set(found))


# Which of the caller's rows fills each URL keyword; ``pk`` is the row of the
# route's own kind, named by the route.
KEYWORD_ROWS = {
    "project_id": "project",
    "session_id": "session",
    "generated_project_id": "generated",
    "team_id": "team",
    "document_id": "document",
}
PK_ROWS = {
    "specs:project": "project",
    "specs:specification": "specification",
    "specs:session": "session",
    "specs:question": "question",
    "specs:conflict": "conflict",
    "specs:generated-project": "generated",
    "specs:generated-file": "generated_file",
    "specs:quality-metric": "quality_metric",
    "collaboration:team": "team",
    "collaboration:team-member": "membership",
    "collaboration:share": "share",
    "collaboration:invitation": "invitation",
    "collaboration:notification-preference": "preference",
    "billing:api-key": "api_key",
    "billing:subscription": "subscription",
    "billing:invoice": "invoice",
    "rag:document": "document",
}


def url_of(name: str, keywords: tuple[str, ...], world: World) -> str:
    values = {}
    for keyword in keywords:
        if keyword == "pk":
            kind = PK_ROWS.get(name.rsplit("-", 1)[0], "project")
            values["pk"] = world.rows[kind].pk if kind in world.rows else world.user.pk
        elif keyword == "role_name":
            values[keyword] = "super_admin"
        else:
            values[keyword] = world.rows[KEYWORD_ROWS[keyword]].pk
    return reverse(name, kwargs=values)


def page_client(persona: str, world: World, client_for, api):
    if persona == "api_key":
        key = billing_services.create_api_key(
            context=ActivityContext(user_id=world.user.pk),
            name="pages",
            scope=["read", "write"],
        )
        api.credentials(HTTP_X_API_KEY=key.secret)
        return api
    return client_for(world.user)


ROUTES = routes()
PERSONAS = ("stranger", "api_key")


def test_the_routes_cover_every_list_and_detail_page():
    names = {name for name, _ in ROUTES}
    assert {"specs:question-list", "collaboration:share-list", "billing:invoice-list"} <= names
    assert len(ROUTES) > 60


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_show_no_row_of_another_user(persona, client_for, api):
    other = build_world(UserFactory())
    mine = build_world(UserFactory())
    client = page_client(persona, mine, client_for, api)
    foreign = other.ids()
    leaks, offered = {}, set()

    for name, keywords in ROUTES:
        response = client.get(url_of(name, keywords, mine), HTTP_ACCEPT="text/html")
        page = response.content.decode()
        assert response.status_code < 500, (name, response.status_code)
        shown = set(UUID_TEXT.findall(page)) & foreign
        if shown:
            leaks[name] = shown
        offered |= set(re.findall(r'<option value="([0-9a-f-]{36})"', page))

    assert leaks == {}
    # The forms were drawn, with the caller's own rows to choose from.
    assert {str(mine.rows["session"].pk), str(mine.rows["team"].pk)} <= offered
