"""What every access-checked viewset shares, written once: app viewsets only
declare the level each action needs and how to find the caller's level."""

from collections.abc import Callable, Mapping
from enum import IntEnum

from django.db.models import Model
from rest_framework import viewsets

from socrates.error_codes import ErrorCode
from socrates.errors import NotAllowed, NotFound

# Actions that describe a route without touching what it serves.
UNCHECKED_ACTIONS = {None, "metadata"}


class AccessCheckedViewSet(viewsets.GenericViewSet):
    """Each action names the access level it needs in ``required_levels``
    (``None``: signed in is enough). An action missing from the map is refused,
    so a new endpoint stays closed until it is given a level.

    Invisible means 404, never 403, so that existence does not leak; visible
    but too low a level is a 403 that names the level needed.
    """

    required_levels: Mapping[str, IntEnum | None] = {}
    not_found_message = "Not found."

    def access_level(self) -> IntEnum | None:
        """The caller's level on what this request is about; None if invisible."""
        raise NotImplementedError

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.action in UNCHECKED_ACTIONS:
            return
        if self.action not in self.required_levels:
            raise NotAllowed(f"The action {self.action} is not open to anyone.")
        needed = self.required_levels[self.action]
        if needed is not None:
            self.require_level(needed)

    def filter_queryset(self, queryset):
        # Filters, search and ordering shape lists; a row named by its id is
        # found whatever the query string says (and without building them).
        if self.action != "list":
            return queryset
        queryset = super().filter_queryset(queryset)
        # A page rendered from plain columns is read as rows, not instances.
        read_columns = getattr(self.get_serializer_class(), "read_columns", None)
        columns = read_columns() if read_columns else None
        return queryset.values(*columns) if columns else queryset

    def require_level(self, needed: IntEnum) -> None:
        level = self.access_level()
        if level is None:
            raise NotFound(self.not_found_message)
        if level < needed:
            raise NotAllowed(
                f"This needs {needed.name.lower()} access; you have {level.name.lower()}.",
                code=ErrorCode.ACCESS_LEVEL_TOO_LOW,
            )


class ServiceWrites:
    """Each write of a viewset is one call to its app's services, declared:

        create_service = staticmethod(services.create_question)
        update_service = staticmethod(services.update_question)
        destroy_service = staticmethod(services.delete_question)
        instance_keyword = "question"   # how the services name the row

    ``write_context()`` is what a create is given beside the request's data
    (the project it belongs to, who acts). A write whose service needs more
    overrides its ``perform_*`` as DRF allows.
    """

    create_service: Callable[..., Model] | None = None
    update_service: Callable[..., Model] | None = None
    destroy_service: Callable[..., None] | None = None
    instance_keyword = ""

    def write_context(self) -> dict:
        return {}

    def perform_create(self, serializer):
        serializer.instance = self.create_service(
            **self.write_context(), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = self.update_service(
            **{self.instance_keyword: serializer.instance}, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        self.destroy_service(**{self.instance_keyword: instance})
