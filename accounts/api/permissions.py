from rest_framework.permissions import BasePermission


class HasAdminPermission(BasePermission):
    """Each action of an admin view names the one permission code it needs.

    The view declares ``required_permissions = {action: code}``; an action
    missing from the map is refused, so a new endpoint is closed until given
    a code.
    """

    message = "Your admin roles do not include the permission this needs."

    def has_permission(self, request, view):
        if view.action is None:
            # No handler for this HTTP method on this route: let DRF answer 405.
            return True
        code = view.required_permissions.get(view.action)
        if code is None or not request.user.is_authenticated:
            return False
        return code in request.user.held_admin_permissions
