"""Seed the four system admin roles of BEHAVIOUR.md.

The permission lists are written out here rather than imported, so that this
migration keeps meaning what it meant when later code changes.
"""

from django.db import migrations

SYSTEM_ROLES = {
    "super_admin": (
        "Every admin permission.",
        [
            "users_view",
            "users_suspend",
            "users_delete",
            "users_impersonate",
            "billing_view",
            "invoices_export",
            "metrics_view",
            "audit_log_view",
            "admin_roles_manage",
        ],
    ),
    "billing_admin": (
        "Billing and invoices.",
        ["users_view", "billing_view", "invoices_export", "metrics_view"],
    ),
    "support_admin": (
        "User support: view, suspend and impersonate users.",
        ["users_view", "users_suspend", "users_impersonate"],
    ),
    "analytics_admin": (
        "Read-only analytics.",
        ["users_view", "billing_view", "metrics_view"],
    ),
}


def seed_system_roles(apps, schema_editor):
    AdminRole = apps.get_model("accounts", "AdminRole")
    for name, (description, permissions) in SYSTEM_ROLES.items():
        # update_or_create: an adopted legacy database may hold these roles
        # already, possibly with the legacy (wrong) permission names.
        AdminRole.objects.using(schema_editor.connection.alias).update_or_create(
            name=name,
            defaults={
                "description": description,
                "permissions": permissions,
                "is_system_role": True,
            },
        )


def remove_system_roles(apps, schema_editor):
    # A role someone holds stays, so that undoing revokes nobody's grant;
    # seeding again finds it by name.
    AdminRole = apps.get_model("accounts", "AdminRole")
    AdminRole.objects.using(schema_editor.connection.alias).filter(
        name__in=SYSTEM_ROLES, is_system_role=True, grants__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(seed_system_roles, remove_system_roles)]
