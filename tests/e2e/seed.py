"""Data for the browser tests, run by ``manage.py shell -c`` against the scratch databases.

The accounts come from E2E_* environment variables (tests/e2e/conftest.py
chooses them). Rows are written through the application's own managers and
services, so they are rows the application could have written itself. The
last line printed is JSON that the tests read: the admin's changelist URLs,
taken from the admin registry so that a newly registered model is visited
(and must be seeded here) without any test naming it.
"""

import json
import os
import uuid
from decimal import Decimal

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django_celery_results.models import GroupResult, TaskResult

from accounts import services
from accounts.models import User
from billing import services as billing_services
from collaboration import services as collaboration_services
from collaboration.services import ActivityContext
from rag import services as rag_services
from socrates.databases import AUTH
from specs import services as specs_services
from specs.models import AnalyticsMetric, UserBehaviorPattern

super_admin = User.objects.db_manager(AUTH).create_superuser(
    email=os.environ["E2E_ADMIN_EMAIL"],
    password=os.environ["E2E_ADMIN_PASSWORD"],
    username=os.environ["E2E_ADMIN_USERNAME"],
)
audit = services.AuditContext(actor=super_admin, ip_address="127.0.0.1", user_agent="e2e seed")
# Created as an admin would, so that the audit log has an entry to open.
reader = services.create_user(
    context=audit,
    password=os.environ["E2E_READER_PASSWORD"],
    email=os.environ["E2E_READER_EMAIL"],
    username=os.environ["E2E_READER_USERNAME"],
    name="Reader",
)
services.issue_tokens(user=reader)

# A project shared with the reader, with a specification: each service also
# writes its activity row.
owner = ActivityContext(user_id=super_admin.pk, ip_address="127.0.0.1", user_agent="e2e seed")
project = specs_services.create_project(context=owner, name="E2E idea", description="Seeded.")
collaboration_services.create_share(context=owner, project=project, shared_with_user_id=reader.pk)
specs_services.write_specification(context=owner, project=project, key="database", value="pg")
# The team plan lets the owner's team take a second member.
billing_services.create_subscription(context=audit, user_id=super_admin.pk, plan_name="team")
team = collaboration_services.create_team(context=owner, name="E2E team")
collaboration_services.add_member(context=owner, team=team, user_id=reader.pk)
session = specs_services.start_session(context=owner, project=project, title="Kick-off")
specs_services.post_message(session=session, role="assistant", content="What should it do?")
specs_services.create_question(project=project, session=session, text="Who uses it?")
specs_services.create_conflict(project=project, title="SQLite or PostgreSQL")
generated = specs_services.create_generated_project(project=project, name="api")
specs_services.add_generated_file(generated=generated, path="app/main.py", content="print()\n")
specs_services.record_quality_metric(project=project, metric_name="coverage", metric_value=0.5)
collaboration_services.invite(context=owner, project=project, invited_email="guest@example.com")
collaboration_services.create_notification_preference(
    user_id=reader.pk, notification_type="mentions"
)
question = specs_services.create_question(project=project, text="Which tools?")
specs_services.record_question_effectiveness(
    question_id=question.pk, question_text=question.text, effectiveness_score=0.8, times_asked=3
)
# Analytics rows are written by jobs, with no service of their own.
UserBehaviorPattern.objects.create(
    user_id=reader.pk, pattern_type="tool_usage", confidence_score=0.6, sample_size=12
)
AnalyticsMetric.objects.create(
    metric_name="active_users", metric_value=2, period="daily", period_start=timezone.now()
)
# An approved knowledge-base document; the service chunks it.
rag_services.create_document(
    title="Caching", content="# Caching\n\nCache reads close to the user.", is_approved=True
)
# Billing as a billing admin writes it (each change audited), and one model call.
subscription = billing_services.create_subscription(
    context=audit, user_id=reader.pk, plan_name="pro", price_usd=Decimal("29.00")
)
billing_services.create_invoice(
    context=audit,
    user_id=reader.pk,
    subscription=subscription,
    invoice_number="E2E-0001",
    amount_usd=Decimal("29.00"),
)
billing_services.create_api_key(context=owner, name="e2e", scope=["read"])
billing_services.record_llm_usage(
    user_id=reader.pk,
    project_id=project.pk,
    model_name="claude",
    input_tokens=120,
    output_tokens=30,
    cost_usd=Decimal("0.00125"),
)

# A background task's failure as the worker's result backend records it
# (socrates.celery), and a group's result, which the same admin lists.
TaskResult.objects.store_result(
    content_type="application/json",
    content_encoding="utf-8",
    task_id=str(uuid.uuid4()),
    result=json.dumps({"exc_type": "OperationalError", "exc_message": ["connection refused"]}),
    status="FAILURE",
    traceback="Traceback (most recent call last):\npsycopg2.OperationalError: connection refused",
    task_name="accounts.drain_user_deletions",
    task_args="()",
    task_kwargs="{}",
    worker="celery@e2e",
)
GroupResult.objects.store_group_result(
    content_type="application/json",
    content_encoding="utf-8",
    group_id=str(uuid.uuid4()),
    result=json.dumps([]),
)

unseeded = [
    model._meta.label for model in admin.site._registry if not model._default_manager.exists()
]
if unseeded:
    raise SystemExit(f"tests/e2e/seed.py seeds no row of {', '.join(unseeded)}")

changelists = sorted(
    reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    for model in admin.site._registry
)
print(json.dumps({"admin_changelists": changelists}))
