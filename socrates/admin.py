"""What the Django admin pages of every app share."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from socrates.errors import DomainError


class ServiceBackedAdmin(admin.ModelAdmin):
    """Saves go through an app's services: a rule's refusal is shown as an
    error, and nothing is saved or logged as done."""

    def action_context(self, request):
        """What the app's services record of who acted (audit or activity)."""
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._refusal_as_message(
            request, super().changeform_view, request, object_id, form_url, extra_context
        )

    def delete_view(self, request, object_id, extra_context=None):
        return self._refusal_as_message(
            request, super().delete_view, request, object_id, extra_context
        )

    def _refusal_as_message(self, request, view, *args):
        try:
            return view(*args)
        except DomainError as refusal:
            # The admin's own transaction has rolled back its log entry too.
            self.message_user(request, refusal.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def apply_to_each(self, request, queryset, operation, done: str) -> None:
        succeeded = 0
        for instance in queryset:
            try:
                operation(self.action_context(request), instance)
                succeeded += 1
            except DomainError as refusal:
                self.message_user(request, f"{instance}: {refusal.message}", messages.ERROR)
        if succeeded:
            self.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)

    @staticmethod
    def saved_as(obj, saved) -> None:
        """Point the admin's unsaved form object at the row a service saved."""
        obj.pk = saved.pk
        obj._state.adding = False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
