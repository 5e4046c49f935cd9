import factory
from factory.django import DjangoModelFactory

from accounts.models import AdminRole
from billing.models import Invoice, LLMUsage, PlanName, Subscription
from socrates.databases import SPECS
from tests.accounts.factories import AdminGrantFactory, UserFactory


class SubscriptionFactory(DjangoModelFactory):
    class Meta:
        model = Subscription
        database = SPECS

    user_id = factory.LazyFunction(lambda: UserFactory().pk)
    plan_name = PlanName.PRO


class InvoiceFactory(DjangoModelFactory):
    class Meta:
        model = Invoice
        database = SPECS

    user_id = factory.LazyFunction(lambda: UserFactory().pk)
    invoice_number = factory.Sequence(lambda n: f"INV-{n:05d}")
    amount_usd = "29.00"


class LLMUsageFactory(DjangoModelFactory):
    class Meta:
        model = LLMUsage
        database = SPECS

    user_id = factory.LazyFunction(lambda: UserFactory().pk)
    model_name = "claude"
    input_tokens = 100
    output_tokens = 50
    total_tokens = factory.LazyAttribute(lambda usage: usage.input_tokens + usage.output_tokens)
    cost_usd = "0.010000"


def with_role(name: str):
    """A user granted the admin role ``name``."""
    return AdminGrantFactory(role=AdminRole.objects.get(name=name)).user


def ids(response) -> set[str]:
    """The ids of a successful list response's results."""
    assert response.status_code == 200, response.data
    return {row["id"] for row in response.data["results"]}
