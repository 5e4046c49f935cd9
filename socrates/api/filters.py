"""Filtering shared by every list: typed filters and search terms are checked
against what PostgreSQL accepts before the query runs."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters
from rest_framework.exceptions import ValidationError

from socrates.api.validation import check_query_values


class FilterSet(django_filters.FilterSet):
    """The base of every filter set: a value PostgreSQL would refuse is a 400
    naming the parameter."""

    def is_valid(self) -> bool:
        if not super().is_valid():
            return False
        try:
            check_query_values(self.form.cleaned_data)
        except ValidationError as refusal:
            for name, messages in refusal.detail.items():
                self.form.add_error(name, messages)
        return self.form.is_valid()


class FilterBackend(DjangoFilterBackend):
    filterset_base = FilterSet


class SearchFilter(filters.SearchFilter):
    def get_search_terms(self, request):
        # DRF refuses a NUL itself, but without naming the parameter.
        try:
            return super().get_search_terms(request)
        except ValidationError as refusal:
            raise ValidationError({self.search_param: refusal.detail}) from None
