"""The Django admin for accounts.

Every change goes through accounts.services, so the admin follows the API's
rules and writes the same audit log; what each staff member may see and do
follows their admin permission codes (``accounts.models.DJANGO_ADMIN_PERMISSIONS``).
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import AdminAuditLog, AdminRole, AdminUser, RefreshToken, User
from socrates.admin import ReadOnlyAdmin, ServiceBackedAdmin

# Permissions come from admin roles (accounts.models.DJANGO_ADMIN_PERMISSIONS);
# Django's groups are unused.
admin.site.unregister(Group)


def audit_context(request) -> services.AuditContext:
    return services.AuditContext.from_request(request)


class AccountsAdmin(ServiceBackedAdmin):
    def action_context(self, request) -> services.AuditContext:
        return audit_context(request)


USER_CREATION_FIELDS = ["email", "username", "name", "surname", "role"]


class UserCreationForm(forms.ModelForm):
    initial_password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = USER_CREATION_FIELDS

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("initial_password")
        if password:
            fields = {name: cleaned.get(name) for name in USER_CREATION_FIELDS}
            try:
                services.validate_new_password(password, User(**fields))
            except ValidationError as exc:
                self.add_error("initial_password", exc)
        return cleaned


@admin.register(User)
class UserAdmin(AccountsAdmin):
    list_display = ["email", "username", "role", "status", "is_active", "created_at"]
    list_filter = ["role", "status", "is_active", "is_verified"]
    search_fields = ["email", "username", "name", "surname"]
    ordering = ["-created_at"]
    fields = ["email", "username", "name", "surname", "role", "status", "is_active", "is_verified"]
    add_fields = [*USER_CREATION_FIELDS, "initial_password"]
    actions = ["suspend", "activate"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = UserCreationForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Users are deleted one at a time, each through the rules and the audit log.
        actions.pop("delete_selected", None)
        return actions

    def has_suspend_permission(self, request):
        return request.user.has_perm("accounts.suspend_user")

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            services.update_user(
                context=audit_context(request), user=User.objects.get(pk=obj.pk), **changes
            )
            return
        fields = {name: form.cleaned_data[name] for name in USER_CREATION_FIELDS}
        password = form.cleaned_data["initial_password"]
        self.saved_as(
            obj,
            services.create_user(context=audit_context(request), password=password, **fields),
        )

    def delete_model(self, request, obj):
        services.delete_user(context=audit_context(request), user=obj)

    @admin.action(description="Suspend the selected users", permissions=["suspend"])
    def suspend(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda context, user: services.suspend_user(context=context, user=user),
            "Suspended",
        )

    @admin.action(description="Activate the selected users", permissions=["suspend"])
    def activate(self, request, queryset):
        self.apply_to_each(
            request,
            queryset,
            lambda context, user: services.activate_user(context=context, user=user),
            "Activated",
        )


@admin.register(AdminRole)
class AdminRoleAdmin(AccountsAdmin):
    list_display = ["name", "is_system_role", "permissions"]
    list_filter = ["is_system_role"]
    fields = ["name", "description", "permissions", "is_system_role"]
    readonly_fields = ["is_system_role"]
    editable = ("name", "description", "permissions")

    def has_change_permission(self, request, obj=None):
        # System roles are seeded by a migration and never edited.
        return super().has_change_permission(request, obj) and not (obj and obj.is_system_role)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in self.editable}
        if change:
            services.update_role(
                context=audit_context(request), role=AdminRole.objects.get(pk=obj.pk), **data
            )
        else:
            self.saved_as(obj, services.create_role(context=audit_context(request), **data))


class GrantForm(forms.ModelForm):
    class Meta:
        model = AdminUser
        fields = ["user", "role", "reason"]

    def clean(self):
        cleaned = super().clean()
        existing = AdminUser.objects.filter(user=cleaned.get("user"), role=cleaned.get("role"))
        if existing.exists():
            # Granting again reuses the (user, role) row (accounts.services), so
            # the form must not refuse it as a duplicate.
            self.instance = existing.get()
        return cleaned


@admin.register(AdminUser)
class AdminGrantAdmin(AccountsAdmin):
    """Grants are added here and revoked by the action; a revoked row stays."""

    form = GrantForm
    list_display = ["user", "role", "granted_by_id", "revoked_at", "created_at"]
    list_filter = ["role", ("revoked_at", admin.EmptyFieldListFilter)]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        grant = services.grant_role(
            context=audit_context(request),
            user=data["user"],
            role=data["role"],
            reason=data["reason"],
        )
        self.saved_as(obj, grant)

    @admin.action(description="Revoke the selected grants", permissions=["add"])
    def revoke(self, request, queryset):
        def revoke(context, grant):
            services.revoke_role(context=context, user=grant.user, role=grant.role)

        grants = queryset.active().select_related("user", "role")
        self.apply_to_each(request, grants, revoke, "Revoked")


@admin.register(AdminAuditLog)
class AdminAuditLogAdmin(ReadOnlyAdmin):
    """Append-only: nobody edits or deletes audit entries, here or anywhere."""

    list_display = ["created_at", "admin", "action", "resource_type", "resource_id"]
    list_filter = ["action", "resource_type"]
    search_fields = ["resource_id", "admin__email"]
    date_hierarchy = "created_at"


@admin.register(RefreshToken)
class RefreshTokenAdmin(ReadOnlyAdmin):
    # ``token`` (a hash) is never shown.
    list_display = ["user", "created_at", "expires_at", "is_revoked", "revoked_at"]
    list_filter = ["is_revoked"]
    fields = ["user", "created_at", "expires_at", "is_revoked", "revoked_at"]
    search_fields = ["user__email"]
