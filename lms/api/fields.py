"""The building blocks of lms/api/schemas.py: base schemas and field types.

Two kinds of schema:

- `Shape`, a response body. `dump()` turns a model row (or a `With` wrapping one) into
  JSON-ready values. A field whose value is worked out rather than read from the object
  has a method `<field>_of(obj)` on the schema. Every field is always present in the answer,
  so each is documented as required (unless named in `Meta.optional`).
- `Args`, a request's query parameters. `parse()` reads `request.args`; the first bad
  parameter, in the order the fields are declared, is a 400 naming it (InvalidParameter).

The query field types here keep the API's rules for parameters: surrounding spaces are
ignored, an empty value is the same as none, and each message names the parameter.
"""
from __future__ import annotations

from datetime import date
from functools import cache

from flask import request
from marshmallow import EXCLUDE, Schema, ValidationError, fields
from sqlalchemy import select

from lms.api.errors import InvalidParameter
from lms.extensions import db

MAX_TEXT_LENGTH = 200
MAX_LIST_VALUES = 20


class With:
    """A model row together with values the route worked out for it (place counts, the
    signup state, a waiting position ...): attributes are looked up in those first."""

    def __init__(self, row, **values):
        self._row = row
        self.__dict__.update(values)

    def __getattr__(self, name):
        return getattr(self._row, name)


# --- response bodies --------------------------------------------------------------------

class Shape(Schema):
    """A response body (see the module docstring). As a request body, unknown keys are
    ignored, so the document does not forbid them (nor other properties in answers)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("unknown", EXCLUDE)
        super().__init__(*args, **kwargs)

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        field_obj.required = field_name not in getattr(self.Meta, "optional", ())

    def get_attribute(self, obj, attr, default):
        compute = getattr(self, f"{attr}_of", None)
        if compute is not None:
            return compute(obj)
        return super().get_attribute(obj, attr, default)


@cache
def _instance(schema: type[Schema]) -> Schema:
    return schema()


def dump(schema: type[Schema], value) -> dict:
    """`value` shaped by `schema` (one instance of each schema serves every request)."""
    return _instance(schema).dump(value)


def described(description: str | None = None, **properties) -> dict:
    """Field metadata for the OpenAPI document: a description and any JSON Schema keywords."""
    metadata = dict(properties)
    if description:
        metadata["description"] = description
    return {"metadata": metadata}


class Code(fields.String):
    """A reference row (sector, area, job role, course ...) named by its stable code."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.code


class Codes(fields.List):
    """A list of reference rows, by their codes."""

    def __init__(self, **kwargs):
        super().__init__(Code(), **kwargs)


class UtcDateTime(fields.DateTime):
    """An aware UTC date-time written with a Z, e.g. 2027-01-12T09:30:00Z."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value.isoformat().replace("+00:00", "Z") if value is not None else None


class Hours(fields.Float):
    """CPD hours (a Decimal in the database) as a JSON number."""

    def __init__(self, description: str | None = None, **kwargs):
        super().__init__(**described(description, minimum=0), **kwargs)


# --- query parameters -------------------------------------------------------------------

class QueryField(fields.Field):
    """Mixin: a blank value is the same as none; messages name the parameter."""

    @property
    def param(self) -> str:
        return self.data_key or self.name

    def invalid(self, message: str) -> ValidationError:
        return ValidationError(message.format(name=self.param))


class Text(QueryField, fields.String):
    """Text, stripped, at most `max_length` characters."""

    def __init__(self, max_length: int = MAX_TEXT_LENGTH, *, description: str | None = None, **metadata):
        self.max_length = max_length
        super().__init__(**described(description, maxLength=max_length, **metadata))

    def _deserialize(self, value, attr, data, **kwargs):
        value = value.strip()
        if len(value) > self.max_length:
            raise self.invalid(f"{{name}} must be {self.max_length} characters or fewer")
        return value or None


class OneOfText(Text):
    """Text that must be one of `choices`; otherwise `message`."""

    def __init__(self, choices, message: str, max_length: int, *, description: str | None = None):
        self.choices, self.message = tuple(choices), message
        super().__init__(max_length, description=description, enum=list(choices))

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value is not None and value not in self.choices:
            raise self.invalid(self.message)
        return value


class KnownCode(Text):
    """The code of a row of `model` that exists: `what` names the kind of thing."""

    def __init__(self, model, what: str, *, description: str | None = None):
        self.model, self.what = model, what
        super().__init__(40, description=description)

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs)
        if code is not None and db.session.scalar(select(self.model.id).where(self.model.code == code)) is None:
            what = self.what
            raise self.invalid(f"{{name}} must be a {what} code; no {what} has the code “{code}”")
        return code


class WholeNumber(QueryField, fields.Integer):
    """A whole number between `minimum` and `maximum` (each optional)."""

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, default: int | None = None,
                 description: str | None = None, required: bool = False):
        self.minimum, self.maximum, self.default = minimum, maximum, default
        kwargs: dict = {}
        bounds = {key: value for key, value in (("minimum", minimum), ("maximum", maximum), ("default", default))
                  if value is not None}
        if default is not None:
            kwargs = {"load_default": default}
        super().__init__(required=required, **kwargs, **described(description, **bounds))

    def _deserialize(self, value, attr, data, **kwargs):
        raw = value.strip()
        if raw == "":
            return self.default
        if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 12:
            raise self.invalid("{name} must be a whole number, like 2")
        number = int(raw)
        low, high = self.minimum, self.maximum
        if low is not None and number < low:
            if high is not None:
                raise self.invalid(f"{{name}} must be between {low} and {high}")
            raise self.invalid(f"{{name}} must be {low} or more")
        if high is not None and number > high:
            raise self.invalid(f"{{name}} must be between {low if low is not None else 0} and {high}")
        return number


class Day(QueryField, fields.Date):
    """A real date written YYYY-MM-DD."""

    def __init__(self, description: str | None = None, **kwargs):
        super().__init__(**described(description), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        raw = value.strip()
        if raw == "":
            return None
        try:
            if len(raw) != 10:
                raise ValueError
            return date.fromisoformat(raw)
        except ValueError:
            raise self.invalid("{name} must be a real date written YYYY-MM-DD, like 2026-09-11") from None


class YesNo(QueryField, fields.Boolean):
    """true or false (also 1/0, yes/no, in any case)."""

    def __init__(self, description: str | None = None):
        super().__init__(**described(description))

    def _deserialize(self, value, attr, data, **kwargs):
        value = value.strip().lower()
        if value == "":
            return None
        if value in {"true", "1", "yes"}:
            return True
        if value in {"false", "0", "no"}:
            return False
        raise self.invalid("{name} must be true or false")


class Repeated(QueryField, fields.List):
    """A parameter given several times (mode=a&mode=b), as a comma list (mode=a,b), or
    both: the values in order, once each, each one of `choices`; otherwise `message`,
    in which {value} is the first value that is not one."""

    def __init__(self, item: fields.Field, choices, message: str, *, description: str | None = None):
        self.choices, self.message = tuple(choices), message
        self.convert = int if isinstance(item, fields.Integer) else str
        super().__init__(item, load_default=list, **described(description))

    def _deserialize(self, value, attr, data, **kwargs):
        values = [part.strip() for raw in value for part in raw.split(",")]
        values = [value for value in values if value]
        if len(values) > MAX_LIST_VALUES:
            raise self.invalid(f"{{name}} may be given at most {MAX_LIST_VALUES} times")
        allowed = [str(choice) for choice in self.choices]
        for value in values:
            if value not in allowed:
                raise ValidationError(self.message.format(name=self.param, value=value[:40]))
        return [self.convert(value) for value in dict.fromkeys(values)]


class Args(Schema):
    """A request's query parameters (see the module docstring)."""

    @classmethod
    def parse(cls) -> dict:
        return parse(_instance(cls))


def parse(schema: Schema) -> dict:
    """`request.args` loaded by `schema`; the first bad parameter is a 400 naming it.
    A parameter that is not given is None (or its default)."""
    data = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if key in request.args:
            data[key] = request.args.getlist(key) if isinstance(field, fields.List) else request.args[key]
    try:
        loaded = schema.load(data)
    except ValidationError as error:
        messages = error.normalized_messages()
        for name, field in schema.load_fields.items():
            key = field.data_key or name
            if key in messages:
                found = messages[key]
                raise InvalidParameter(key, found[0] if isinstance(found, list) else str(found)) from None
        raise
    return {name: loaded.get(name) for name in schema.load_fields}
