import django_filters

from accounts.models import AdminAuditLog, User
from socrates.api.filters import FilterSet


class UserFilter(FilterSet):
    class Meta:
        model = User
        fields = ["status", "role", "is_active", "is_verified"]


class AuditLogFilter(FilterSet):
    admin = django_filters.UUIDFilter(field_name="admin_id")
    resource = django_filters.CharFilter(field_name="resource_type")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AdminAuditLog
        fields = ["admin", "action", "resource", "resource_id", "created_after", "created_before"]
