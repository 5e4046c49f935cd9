"""The Django admin for accounts. Every change goes through accounts.services,
so the admin follows the API's rules and writes the same audit log."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.password_validation import validate_password

from accounts import services
from accounts.models import AdminAuditLog, AdminRole, AdminUser, RefreshToken, User
from socrates.errors import DomainError


def audit_context(request) -> services.AuditContext:
    return services.AuditContext.from_request(request)


class ServiceBackedAdmin(admin.ModelAdmin):
    """Shows a rule's refusal as an error message instead of a server error."""

    def run(self, request, operation, *args, **kwargs):
        try:
            return operation(audit_context(request), *args, **kwargs)
        except DomainError as refusal:
            self.message_user(request, refusal.message, level=messages.ERROR)
            return None


class UserCreationForm(forms.ModelForm):
    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    class Meta:
        model = User
        fields = ["email", "username", "name", "surname", "role"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password"):
            candidate = User(**{k: v for k, v in cleaned.items() if k != "password"})
            try:
                validate_password(cleaned["password"], user=candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


@admin.register(User)
class UserAdmin(ServiceBackedAdmin):
    list_display = ["email", "username", "role", "status", "is_active", "created_at"]
    list_filter = ["role", "status", "is_active", "is_verified"]
    search_fields = ["email", "username", "name", "surname"]
    ordering = ["-created_at"]
    fields = ["email", "username", "name", "surname", "role", "status", "is_active", "is_verified"]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["suspend", "activate"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = UserCreationForm
            kwargs["fields"] = [*UserCreationForm.Meta.fields, "password"]
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return [*UserCreationForm.Meta.fields, "password"] if obj is None else self.fields

    def save_model(self, request, obj, form, change):
        if not change:
            data = {name: form.cleaned_data[name] for name in UserCreationForm.Meta.fields}
            created = self.run(
                request, services.create_user, password=form.cleaned_data["password"], **data
            )
            if created is not None:
                obj.pk = created.pk
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        self.run(request, services.update_user, User.objects.get(pk=obj.pk), **changes)

    def delete_model(self, request, obj):
        self.run(request, services.delete_user, obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            self.delete_model(request, user)

    @admin.action(description="Suspend the selected users")
    def suspend(self, request, queryset):
        for user in queryset:
            self.run(request, services.suspend_user, user)

    @admin.action(description="Activate the selected users")
    def activate(self, request, queryset):
        for user in queryset:
            self.run(request, services.activate_user, user)


@admin.register(AdminRole)
class AdminRoleAdmin(ServiceBackedAdmin):
    list_display = ["name", "is_system_role", "permissions"]
    list_filter = ["is_system_role"]
    fields = ["name", "description", "permissions", "is_system_role"]
    readonly_fields = ["is_system_role"]

    def has_change_permission(self, request, obj=None):
        # System roles are seeded by a migration and never edited.
        return super().has_change_permission(request, obj) and not (obj and obj.is_system_role)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("name", "description", "permissions")}
        if change:
            self.run(request, services.update_role, AdminRole.objects.get(pk=obj.pk), **data)
            return
        created = self.run(request, services.create_role, **data)
        if created is not None:
            obj.pk = created.pk


@admin.register(AdminUser)
class AdminGrantAdmin(ServiceBackedAdmin):
    """Grants are added here and revoked by the action; a revoked row stays."""

    list_display = ["user", "role", "granted_by_id", "revoked_at", "created_at"]
    list_filter = ["role", ("revoked_at", admin.EmptyFieldListFilter)]
    fields = ["user", "role", "reason"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        grant = self.run(request, services.grant_role, data["user"], data["role"], data["reason"])
        if grant is not None:
            obj.pk = grant.pk

    @admin.action(description="Revoke the selected grants")
    def revoke(self, request, queryset):
        for grant in queryset.active().select_related("user", "role"):
            self.run(request, services.revoke_role, grant.user, grant.role)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
