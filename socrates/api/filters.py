"""Filtering shared by every list: typed filters and search terms are checked
against what PostgreSQL accepts before the query runs."""

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters
from rest_framework.exceptions import ValidationError

from socrates.api.reach import within_reach
from socrates.api.validation import NUL_REFUSAL, check_query_values

BOOLEAN_SPELLINGS = {"true", "false"}


def query_value_problem(field: forms.Field, value: str) -> str | None:
    """Why a filter's form field cannot read this query value as the schema's
    type, where django-filter would quietly not filter: an empty value of any
    type but text, a boolean other than true or false (it reads "-1", "null"
    or "unknown" as no value at all), and a NUL, in the words every other
    input gets (Django's form fields have their own)."""
    if "\x00" in value:
        return NUL_REFUSAL
    if isinstance(field, forms.NullBooleanField):
        return None if value.lower() in BOOLEAN_SPELLINGS else "Must be true or false."
    if value == "" and type(field) is not forms.CharField:
        return "Must not be empty."
    return None


class FilterSet(django_filters.FilterSet):
    """The base of every filter set: a parameter given a value its filter
    cannot read, or one PostgreSQL would refuse, is a 400 naming it."""

    # True for a filter set that filters even when given none of its
    # parameters (a default view); tests/socrates/test_filters.py holds every
    # filter set to what it says here.
    filters_without_parameters = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A filter by a related row offers and accepts only what the caller
        # may name (socrates.api.reach), as serializers' related fields do.
        for filter_ in self.filters.values():
            queryset = getattr(filter_, "queryset", None)
            if queryset is not None and hasattr(queryset, "model"):
                filter_.queryset = within_reach(queryset.model, self.request)

    def is_valid(self) -> bool:
        super().is_valid()
        for name, field in self.form.fields.items():
            for value in self.data.getlist(name):
                problem = query_value_problem(field, value)
                if problem:
                    # In place of what the form field said, if anything.
                    self.form.errors[name] = self.form.error_class([problem])
                    self.form.cleaned_data.pop(name, None)
                    break
        if self.form.errors:
            return False
        try:
            check_query_values(self.form.cleaned_data)
        except ValidationError as refusal:
            for name, messages in refusal.detail.items():
                self.form.add_error(name, messages)
        return self.form.is_valid()


class FilterBackend(DjangoFilterBackend):
    filterset_base = FilterSet

    def filter_queryset(self, request, queryset, view):
        # Given none of its parameters, a filter set filters nothing, but
        # builds and validates its form all the same: a tenth of a small list
        # request. A parameter is read by the filter it starts with the name
        # of (``created_after`` by ``created``).
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = tuple(filterset_class.base_filters)
        if not filterset_class.filters_without_parameters and not any(
            parameter.startswith(names) for parameter in request.query_params
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


# Past any name or title searched; well inside the request line gunicorn
# reads (socrates/gunicorn.conf.py), so the API answers a longer one itself.
SEARCH_TERM_MAX_LENGTH = 500


class SearchFilter(filters.SearchFilter):
    def get_search_terms(self, request):
        term = request.query_params.get(self.search_param, "")
        if len(term) > SEARCH_TERM_MAX_LENGTH:
            raise ValidationError(
                {
                    self.search_param: [
                        f"Ensure this field has no more than {SEARCH_TERM_MAX_LENGTH} characters."
                    ]
                },
                code="max_length",
            )
        # DRF refuses a NUL itself, but without naming the parameter, and in
        # words of its own: the refusal is the one every other input gets.
        if "\x00" in term:
            raise ValidationError({self.search_param: [NUL_REFUSAL]})
        return super().get_search_terms(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["maxLength"] = SEARCH_TERM_MAX_LENGTH
        return parameters
