"""What every access-checked viewset shares, written once: app viewsets only
declare the level each action needs and how to find the caller's level."""

from collections.abc import Mapping
from enum import IntEnum

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

    def require_level(self, needed: IntEnum) -> None:
        level = self.access_level()
        if level is None:
            raise NotFound(self.not_found_message)
        if level < needed:
            raise NotAllowed(
                f"This needs {needed.name.lower()} access; you have {level.name.lower()}.",
                code=ErrorCode.ACCESS_LEVEL_TOO_LOW,
            )
