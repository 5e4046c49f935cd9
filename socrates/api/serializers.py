import copy
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache, cached_property, partial

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField, empty
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

from socrates.api.reach import within_reach


def validated(serializer_class, request, **context) -> dict:
    """The request body, checked by a serializer (a 400 naming each bad field)."""
    serializer = serializer_class(data=request.data, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ReachLimitedFields:
    """Every related field offers and accepts only the rows the request's
    caller may name (``socrates.api.reach``): the choices of the browsable
    API's forms, and the ids a body may give. Every serializer has it, through
    the ``Serializer`` and ``ModelSerializer`` bases below
    (tests/socrates/test_reach.py holds them to it)."""

    def get_fields(self):
        return self.limited_to_reach(super().get_fields())

    def limited_to_reach(self, fields: dict) -> dict:
        request = self.context.get("request")
        for field in fields.values():
            relation = getattr(field, "child_relation", field)
            if isinstance(relation, serializers.RelatedField) and relation.queryset is not None:
                relation.queryset = within_reach(relation.queryset.model, request)
        return fields


def json_type_problem(field: serializers.Field, value) -> str | None:
    """Why a JSON value is not of the type its field's schema states, or None.

    DRF reads 0, 1, "true" or "on" as booleans, any number as text and
    numeric text as numbers: in a JSON body, where the type is written, that
    would accept what the schema forbids. A form sends only text, and DRF's
    reading of it stays.
    """
    if value is None or value is empty:
        return None
    if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
        return "Must be true or false."
    if isinstance(field, (serializers.CharField, serializers.DecimalField)) and not isinstance(
        value, str
    ):
        # A decimal is written as a string (its schema's type): a JSON number
        # would lose digits on the way.
        return "Must be a string."
    if isinstance(field, serializers.IntegerField) and (
        not isinstance(value, int) or isinstance(value, bool)
    ):
        return "Must be an integer."
    if isinstance(field, serializers.FloatField) and (
        not isinstance(value, (int, float)) or isinstance(value, bool)
    ):
        return "Must be a number."
    if isinstance(field, serializers.RelatedField) and value == "":
        # DRF reads "" as null for a related field (a form's empty choice).
        return "Must not be empty."
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        for index, item in enumerate(value):
            problem = json_type_problem(field.child, item)
            if problem:
                return f"Item {index}: {problem}"
    return None


class StrictJSONTypes:
    """Serializer behaviour: a JSON body's values keep their JSON types (see
    ``json_type_problem``). Every serializer the API uses has it, through the
    ``Serializer`` and ``ModelSerializer`` bases below
    (tests/socrates/test_serializers.py holds every route to that)."""

    def to_internal_value(self, data):
        # Form bodies and query strings arrive as a QueryDict; JSON as a dict.
        if isinstance(data, Mapping) and not isinstance(data, QueryDict):
            problems = {}
            for field in self._writable_fields:
                problem = json_type_problem(field, data.get(field.field_name, empty))
                if problem:
                    problems[field.field_name] = [problem]
            if problems:
                raise serializers.ValidationError(problems)
        return super().to_internal_value(data)


class Serializer(ReachLimitedFields, StrictJSONTypes, serializers.Serializer):
    """The base of every plain serializer."""


class QuerySerializer(Serializer):
    """The base of a serializer reading a query string. DRF reads a parameter
    given empty as one not given (its rule for HTML forms); here it is a 400
    naming it, unless its field is text that may be blank."""

    def to_internal_value(self, data):
        empty_parameters = {
            field.field_name: ["Must not be empty."]
            for field in self._writable_fields
            if data.get(field.field_name) == ""
            and not (isinstance(field, serializers.CharField) and field.allow_blank)
        }
        if empty_parameters:
            raise serializers.ValidationError(empty_parameters)
        return super().to_internal_value(data)


class ModelSerializer(ReachLimitedFields, StrictJSONTypes, serializers.ModelSerializer):
    """The base of every model serializer."""

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        # A column of a closed set holds one of its values or NULL: its CHECK
        # refuses "", which DRF lets through for a column that is blank=True.
        if model_field.choices and "" not in dict(model_field.flatchoices):
            field_kwargs.pop("allow_blank", None)
        return field_class, field_kwargs


# How DRF represents a non-null value of each of these field classes, when it
# can be done without the field: exactly what its ``to_representation`` does.
def _plain_converter(field: serializers.Field, time_zone) -> Callable | None:
    kind = type(field)
    if kind in (serializers.CharField, serializers.EmailField, serializers.URLField):
        return str
    if kind is serializers.IntegerField:
        return int
    if kind is serializers.FloatField:
        return float
    if kind is serializers.BooleanField:
        return field.to_representation
    if (
        kind is serializers.ReadOnlyField
        or (kind is serializers.JSONField and not field.binary)
        or (kind is serializers.PrimaryKeyRelatedField and field.pk_field is None)
    ):
        return _same
    if kind is serializers.UUIDField and field.uuid_format == "hex_verbose":
        return str
    if kind is serializers.ChoiceField:
        choices = field.choice_strings_to_values
        return lambda value: value if value == "" else choices.get(str(value), value)
    if (
        kind is serializers.DateTimeField
        and getattr(field, "format", api_settings.DATETIME_FORMAT).lower() == ISO_8601
        and not hasattr(field, "timezone")
        and time_zone is not None
    ):
        return _datetime_converter(field, time_zone)
    return None


def _datetime_converter(field: serializers.DateTimeField, time_zone) -> Callable:
    def convert(value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            text = value.astimezone(time_zone).isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        # Naive, or not a datetime at all: DRF's own rules.
        return field.to_representation(value)

    return convert


def _same(value):
    return value


class LeanModelSerializer(ModelSerializer):
    """DRF's ModelSerializer, without the per-response costs of its generality.

    - Its fields are built from the model once per class, then copied for each
      serializer as DRF copies declared fields (building them costs more).
    - Plain columns are read and converted directly: DRF runs every field of
      every row through ``get_attribute`` and ``to_representation`` and looks
      the current time zone up for each datetime, which on a page of 50 rows
      costs more than the query. Fields of the plain kinds above, read from a
      model attribute, are converted the way their ``to_representation``
      would; any other field, a callable attribute or a missing one goes
      through DRF as usual.
    - How each field is read is planned once per class (and time zone), so a
      subclass's ``get_fields`` may change how fields validate (read-only,
      validators) but not which fields are read or their kinds.

    tests/socrates/test_serializers.py holds each one to DRF's own output, and
    every subclass to one plan whatever its instance.
    """

    def get_fields(self):
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            # DRF's fields, before any request's reach limits them.
            built = super(ReachLimitedFields, self).get_fields()
            type(self)._built_fields = built
        return self.limited_to_reach(copy.deepcopy(built))

    @cached_property
    def _representation_plan(self) -> list:
        """(field name, attribute, converter) per readable field, built once per
        class and time zone: a plain column's converter needs no bound field, so
        rendering reads no ``self.fields`` (whose copies cost more than a page)
        unless a field must go through DRF (``converter`` None)."""
        time_zone = timezone.get_current_timezone() if settings.USE_TZ else None
        plans = type(self).__dict__.get("_plans")
        if plans is None:
            plans = type(self)._plans = {}
        plan = plans.get(time_zone)
        if plan is None:
            plan = plans[time_zone] = self._build_plan(time_zone)
        return plan

    @classmethod
    @cache
    def read_columns(cls) -> list[str] | None:
        """The columns a row is rendered from when every readable field is one
        of its model's columns, so that a list can be read as ``.values()``
        rows instead of model instances; None when some field is not. Asked
        by every list request, so answered once per class."""
        columns = [attribute for _, attribute, _ in cls()._representation_plan]
        attnames = {field.attname for field in cls.Meta.model._meta.concrete_fields}
        return columns if attnames.issuperset(columns) else None

    def _build_plan(self, time_zone) -> list:
        plan = []
        for field in self._readable_fields:
            converter = None
            if len(field.source_attrs) == 1:
                converter = _plain_converter(field, time_zone)
            attribute = field.source_attrs[0] if converter else None
            if converter and isinstance(field, serializers.PrimaryKeyRelatedField):
                # DRF's pk-only shortcut reads the foreign key's column.
                attribute = f"{attribute}_id"
            plan.append((field.field_name, attribute, converter))
        return plan

    def to_representation(self, instance):
        # A row read by .values() (or validated data), or an instance.
        read = instance.get if isinstance(instance, Mapping) else partial(getattr, instance)
        representation = {}
        for name, attribute, converter in self._representation_plan:
            value = read(attribute, _MISSING) if converter else _MISSING
            if value is _MISSING or callable(value):
                representation.update(self._drf_representation(self.fields[name], instance))
            else:
                representation[name] = None if value is None else converter(value)
        return representation

    @staticmethod
    def _drf_representation(field, instance) -> dict:
        # Serializer.to_representation's own steps, for one field.
        try:
            attribute = field.get_attribute(instance)
        except SkipField:
            return {}
        value = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return {field.field_name: None if value is None else field.to_representation(attribute)}


_MISSING = object()
