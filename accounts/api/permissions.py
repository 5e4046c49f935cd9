from rest_framework.permissions import BasePermission


class HasAdminPermission(BasePermission):
    """Each action of an admin view names the permission code it needs.

    The view declares ``required_permissions = {action: code}``, or a tuple
    of codes that are all needed (an empty tuple: signed in is enough); an
    action missing from the map is refused, so a new endpoint is closed until
    given a code.
    """

    message = "Your admin roles do not include the permission this needs."

    def has_permission(self, request, view):
        if view.action is None:
            # No handler for this HTTP method on this route: let DRF answer 405.
            return True
        needed = view.required_permissions.get(view.action)
        if needed is None or not request.user.is_authenticated:
            return False
        codes = (needed,) if isinstance(needed, str) else needed
        missing = [code for code in codes if code not in request.user.held_admin_permissions]
        if missing:
            self.message = f"This needs the admin permission {', '.join(missing)}."
        return not missing


class HoldsAnAdminRole(BasePermission):
    """Any admin permission code at all: for what every admin may see, such as
    the list of the admin API's endpoints."""

    message = "This needs an admin role."

    def has_permission(self, request, view):
        return request.user.is_authenticated and bool(request.user.held_admin_permissions)
