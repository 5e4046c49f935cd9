"""A list is filtered only by the parameters it is given: FilterBackend skips
a filter set given none of its own, unless the filter set says it filters
anyway. Every filter set a list of the API uses is held to what it says."""

import pytest
from django.db import router
from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver

from socrates.api.filters import FilterBackend
from specs.models import ProjectStatus
from tests.accounts.factories import UserFactory
from tests.specs.factories import ProjectFactory

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])


def list_views(patterns=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from list_views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            actions = getattr(pattern.callback, "actions", None) or {}
            if actions.get("get") == "list":
                yield pattern.callback.cls


def filter_sets():
    found = {}
    for view_class in set(list_views()):
        if FilterBackend not in view_class.filter_backends:
            continue
        view = view_class(action="list", kwargs={})
        declared = getattr(view_class, "filterset_class", None)
        if view_class.queryset is not None:
            model = view_class.queryset.model
        elif declared is not None:
            model = declared._meta.model
        else:
            continue  # no model to make a filter set for, and none declared
        queryset = model._default_manager.all()
        filterset_class = FilterBackend().get_filterset_class(view, queryset)
        if filterset_class is not None:
            found[view_class.__name__] = (filterset_class, queryset)
    return found


FILTER_SETS = filter_sets()


def sql_of(queryset) -> tuple:
    return queryset.query.get_compiler(using=router.db_for_read(queryset.model)).as_sql()


def test_the_lists_with_filter_sets_are_found():
    assert {"ProjectViewSet", "SpecificationViewSet", "AdminUserViewSet"} <= set(FILTER_SETS)


@pytest.mark.parametrize("view_name", sorted(FILTER_SETS))
def test_a_filter_set_given_no_parameter_filters_only_if_it_says_so(view_name):
    filterset_class, queryset = FILTER_SETS[view_name]
    filterset = filterset_class(data=QueryDict(), queryset=queryset)

    assert filterset.is_valid()
    filters = sql_of(filterset.qs) != sql_of(queryset)
    assert filters == filterset_class.filters_without_parameters


def test_a_list_without_parameters_skips_its_filter_set_and_with_one_applies_it(client_for):
    user = UserFactory()
    ProjectFactory(owner_id=user.pk)
    ProjectFactory(owner_id=user.pk, status=ProjectStatus.ARCHIVED)
    client = client_for(user)

    assert client.get("/api/v1/projects/").data["count"] == 2
    assert client.get("/api/v1/projects/", {"status": "archived"}).data["count"] == 1
    refused = client.get("/api/v1/projects/", {"status": "no-such-status"})
    assert (refused.status_code, list(refused.data["fields"])) == (400, ["status"])
