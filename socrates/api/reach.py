"""Which rows a caller may name: what a related field offers and accepts.

A related field (``"session": id`` in a body, ``?session=id`` in a filter)
looks its value up in a queryset, and DRF and django-filter take that queryset
from the declaration: ``Session.objects.all()``, every row of the table, for
everyone. So the browsable API's forms listed other people's sessions and
teams as ``<option>``s, and an id the caller cannot see was told apart from a
random one ("Invalid choice" against a 200 or another error): an existence
oracle.

Each app says once, per model, which of its rows a caller may name
(``register_reach``, from its ``AppConfig.ready``), and every related field of
every serializer (``socrates.api.serializers``) and of every filter set
(``socrates.api.filters``) looks values up only there. A model that no app
registered offers nothing and accepts nothing, so a new relation fails closed
rather than open.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.db.models import Model, QuerySet

# What a reach is given: the signed-in caller, and the URL's keyword arguments
# (``project_id``...) that say what the request is about.
Reach = Callable[[Any, Mapping[str, Any]], QuerySet]

_reaches: dict[type[Model], Reach] = {}


def register_reach(model: type[Model], reach: Reach) -> None:
    _reaches[model] = reach


def within_reach(model: type[Model], request) -> QuerySet:
    """The rows of ``model`` that the caller of ``request`` may name (none
    without a signed-in caller, or for a model no app registered)."""
    reach = _reaches.get(model)
    user = getattr(request, "user", None)
    if reach is None or user is None or not user.is_authenticated:
        return model._default_manager.none()
    return reach(user, url_keywords(request))


def url_keywords(request) -> Mapping[str, Any]:
    # DRF keeps the view's URL keyword arguments with the request.
    return (getattr(request, "parser_context", None) or {}).get("kwargs") or {}


def registered_models() -> frozenset[type[Model]]:
    return frozenset(_reaches)
