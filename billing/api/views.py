"""Billing over REST: API keys, the plan, subscriptions, invoices and LLM usage."""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.views import AdminViewMixin
from accounts.models import BILLING_WRITE_PERMISSIONS, AdminPermission
from billing import selectors, services
from billing.api.filters import APIKeyFilter, InvoiceFilter, LLMUsageFilter, SubscriptionFilter
from billing.api.serializers import (
    APIKeyCreateSerializer,
    APIKeySerializer,
    InvoiceSerializer,
    InvoiceStatusSerializer,
    IssuedKeySerializer,
    LLMUsageSerializer,
    PlanSerializer,
    SubscriptionChangeSerializer,
    SubscriptionSerializer,
    UsageSummaryQuerySerializer,
    UsageSummarySerializer,
)
from billing.models import APIKey, Invoice, LLMUsage, Subscription
from collaboration.services import ActivityContext
from socrates.api.filters import FilterBackend
from socrates.api.pagination import NewestFirstCursorPagination
from socrates.api.serializers import validated
from socrates.api.viewsets import AccessCheckedViewSet

# API keys and the plan -------------------------------------------------------------


class APIKeyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, AccessCheckedViewSet
):
    """Your platform API keys. Creating one answers the full key, once;
    DELETE revokes it (the row stays, listed as revoked)."""

    queryset = APIKey.objects.none()
    serializer_class = APIKeySerializer
    filterset_class = APIKeyFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    lookup_value_converter = "uuid"
    # Everyone's own keys only: another user's key is simply not found.
    required_levels = dict.fromkeys(("list", "retrieve", "create", "destroy"), None)

    def get_queryset(self):
        return selectors.api_keys_of(self.request.user.pk)

    @extend_schema(request=APIKeyCreateSerializer, responses={201: IssuedKeySerializer})
    def create(self, request):
        issued = services.create_api_key(
            context=ActivityContext.from_request(request),
            **validated(APIKeyCreateSerializer, request),
        )
        return Response(IssuedKeySerializer(issued).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: APIKeySerializer})
    def destroy(self, request, pk=None):
        api_key = services.revoke_api_key(
            context=ActivityContext.from_request(request), api_key=self.get_object()
        )
        return Response(self.get_serializer(api_key).data)


class PlanView(APIView):
    """Your plan: its tier, what it allows (null: unlimited) and what you use now."""

    @extend_schema(responses=PlanSerializer)
    def get(self, request):
        return Response(PlanSerializer(selectors.plan_status(request.user.pk)).data)


# Subscriptions and invoices ----------------------------------------------------------


class CSVRenderer(BaseRenderer):
    """Lets content negotiation accept ``text/csv`` (``Accept``, ``?format=csv``):
    the export streams its own response, and errors are rendered as JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"


class _Echo:
    """The file csv.writer writes to: each line is handed back, to be streamed."""

    def write(self, line: str) -> str:
        return line


# A spreadsheet runs a cell that starts like a formula; quoted, it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value) -> str:
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: tuple[str, ...], rows: Iterable[tuple]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_csv_cell(value) for value in row])


class BillingRecordViewSet(
    AdminViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Everyone reads their own rows, admins holding billing_view everyone's
    (billing.selectors); writes need billing_view and invoices_export."""

    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    lookup_value_converter = "uuid"
    required_permissions = {
        "list": (),
        "retrieve": (),
        "create": BILLING_WRITE_PERMISSIONS,
    }


class SubscriptionViewSet(mixins.UpdateModelMixin, BillingRecordViewSet):
    queryset = Subscription.objects.none()
    filterset_class = SubscriptionFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_permissions = {
        **BillingRecordViewSet.required_permissions,
        "partial_update": BILLING_WRITE_PERMISSIONS,
    }

    def get_serializer_class(self):
        if self.action == "partial_update":
            return SubscriptionChangeSerializer
        return SubscriptionSerializer

    def get_queryset(self):
        return selectors.subscriptions_visible_to(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.create_subscription(
            context=self.audit_context(), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_subscription(
            context=self.audit_context(),
            subscription=serializer.instance,
            **serializer.validated_data,
        )


class InvoiceViewSet(BillingRecordViewSet):
    """A new invoice is a draft; ``status/`` moves it on (the only change an
    invoice takes). ``export/`` is every invoice matching the filters, as CSV."""

    queryset = Invoice.objects.none()
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = ["created_at", "issued_date", "due_date"]
    required_permissions = {
        **BillingRecordViewSet.required_permissions,
        "change_status": BILLING_WRITE_PERMISSIONS,
        "export": AdminPermission.INVOICES_EXPORT,
    }

    def get_queryset(self):
        if self.action == "export":
            return selectors.exportable_invoices()
        return selectors.invoices_visible_to(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.create_invoice(
            context=self.audit_context(), **serializer.validated_data
        )

    @extend_schema(request=InvoiceStatusSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        invoice = services.change_invoice_status(
            context=self.audit_context(),
            invoice=self.get_object(),
            status=validated(InvoiceStatusSerializer, request)["status"],
        )
        return Response(self.get_serializer(invoice).data)

    @extend_schema(filters=True, responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"], renderer_classes=[CSVRenderer], pagination_class=None)
    def export(self, request):
        """Every invoice matching the filters, one CSV line each, streamed; the
        export is written to the audit log."""
        filters = {
            name: value
            for name, value in request.query_params.items()
            if name in InvoiceFilter.base_filters or name == "ordering"
        }
        rows = services.export_invoices(
            context=self.audit_context(),
            invoices=self.filter_queryset(self.get_queryset()),
            filters=filters,
        )
        response = StreamingHttpResponse(
            csv_lines(services.INVOICE_EXPORT_COLUMNS, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="invoices-{timezone.now():%Y-%m-%d}.csv"'
        )
        return response


# LLM usage ---------------------------------------------------------------------------


class LLMUsageViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, AccessCheckedViewSet):
    """Your own calls to language models, newest first, paged by cursor;
    ``summary/`` adds them up."""

    queryset = LLMUsage.objects.none()
    serializer_class = LLMUsageSerializer
    filterset_class = LLMUsageFilter
    # Filters, but no ordering: the cursor's order is the order.
    filter_backends = [FilterBackend]
    pagination_class = NewestFirstCursorPagination
    required_levels = dict.fromkeys(("list", "create", "summary"), None)

    def get_queryset(self):
        return selectors.llm_usage_of(self.request.user.pk)

    def perform_create(self, serializer):
        serializer.instance = services.record_llm_usage(
            user_id=self.request.user.pk, **serializer.validated_data
        )

    @extend_schema(
        parameters=[UsageSummaryQuerySerializer],
        responses=UsageSummarySerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def summary(self, request):
        """Calls, tokens and cost per model, project, month (UTC) or user, in a
        time window: your own usage unless you hold metrics_view."""
        query = UsageSummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        groups = selectors.usage_summary(
            viewer=request.user,
            group_by=query.validated_data["group_by"],
            since=query.validated_data.get("from"),
            until=query.validated_data.get("to"),
            user_id=query.validated_data.get("user"),
            all_users=query.validated_data["all"],
        )
        return Response(UsageSummarySerializer(groups, many=True).data)
