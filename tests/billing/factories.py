import factory
from factory.django import DjangoModelFactory

from billing.models import Invoice, LLMUsage, PlanName, Subscription
from socrates.databases import SPECS
from tests.accounts.factories import UserFactory


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
