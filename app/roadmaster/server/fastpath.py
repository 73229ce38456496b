"""A native fast path for request validation: the contract's own models, validated
from the raw body by pydantic-core alone.

Why: a 1,000-sample batch cost ~12 ms of CPU in ``json.loads`` and ~17 ms more in
``model_validate`` (the original path), mostly ~25 Python callbacks a sample: the
contract's null check on every optional field, the whole-number hook on integers,
and the range checks that pydantic then has to run in Python too.  The same model
validated by pydantic-core straight from the bytes, with those callbacks made
native, takes ~15 ms (~10 of them in Rust; the rest are the hooks kept: one
timestamp parse and one instance builder a sample).

How it stays exact: the rewritten schema accepts a **subset** of what the contract
accepts, and builds the very same model (same class, same values) for it:

* ``NotNull`` (a before-hook refusing ``null``, around ``nullable(X)``) becomes just
  ``X``, which refuses ``null`` natively (only for ``X`` known to: native scalars,
  or the contract's timestamp parser);
* ``Whole`` (a before-hook turning ``3.0`` into ``3``) is dropped: a strict native
  ``int`` refuses ``3.0``;
* pydantic's Python range checks after an ``int``/``float`` become the native
  ``ge``/``le``/``gt``/``lt`` of that schema (same comparisons);
* anything else is kept as it is (the contract's timestamp, uuid and text checks
  still run, in Python, where they are).

A rewrite only descends through schemas in which a failing child fails the whole
(model, field, default, list, nullable, after-hook): under a union, say, a
stricter branch could change which branch wins.

Whatever the fast path refuses — a genuinely invalid body, or a valid one it is
too strict for (``3.0`` for an integer, a body ``json.loads`` reads but
pydantic-core does not, like UTF-16) — goes down the original path
(``json.loads`` + ``model_validate``), which decides and words the answer, so the
status codes, their order and the error details are exactly the contract's.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any, Final, Generic, TypeVar, cast

from pydantic import BaseModel
from pydantic_core import CoreConfig, CoreSchema, SchemaValidator, ValidationError

from roadmaster.sync.contract import NotNull, Whole, parse_utc_z

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

# pydantic's Python range checks (applied when a constraint follows a validator):
# function name → the native schema key with the same comparison.
_PYDANTIC_VALIDATORS: Final = "pydantic._internal._validators"
_BOUNDS: Final = {
    "greater_than_validator": "gt",
    "greater_than_or_equal_validator": "ge",
    "less_than_validator": "lt",
    "less_than_or_equal_validator": "le",
}
# Schemas whose native validation refuses None (so NotNull adds nothing to them).
_NATIVE_SCALARS: Final = frozenset({"int", "float", "bool", "str"})
# Python validators known to refuse None (the contract's timestamp parser does).
_NULL_REFUSING_FUNCTIONS: Final[tuple[Callable[..., Any], ...]] = (parse_utc_z,)
# Schemas through which a stricter child can only turn a success into a failure.
_DESCEND: Final = frozenset(
    {"model-fields", "model-field", "default", "list", "nullable", "function-after"}
)
# Python's json refuses these (NaN and ±Infinity are not JSON); pydantic-core's
# parser accepts them, so a body that has them anywhere takes the original path.
_NON_JSON_TOKENS: Final = (b"NaN", b"Infinity")
# Both parsers refuse integers longer than this many digits, unless Python's limit
# was changed (PYTHONINTMAXSTRDIGITS): then the fast path stays off.
_INT_DIGITS_LIMIT: Final = 4300


def _function(node: Mapping[str, Any]) -> Any:
    return node["function"]["function"]


def _refuses_null(node: Mapping[str, Any]) -> bool:
    kind = node["type"]
    if kind in _NATIVE_SCALARS:
        return True
    if kind == "function-after":  # runs only on the inner schema's success
        return _refuses_null(node["schema"])
    if kind == "function-plain":
        return any(_function(node) is fn for fn in _NULL_REFUSING_FUNCTIONS)
    return False


def _native_bound(function: Any) -> tuple[str, Any] | None:
    """("ge", 0) for ``partial(greater_than_or_equal_validator, ge=0)``, else None."""
    if not isinstance(function, functools.partial) or function.args:
        return None
    key = _BOUNDS.get(getattr(function.func, "__name__", ""))
    if key is None or getattr(function.func, "__module__", "") != _PYDANTIC_VALIDATORS:
        return None
    if set(function.keywords) != {key}:
        return None
    return key, function.keywords[key]


def _build_model(cls: type[BaseModel]) -> Callable[[tuple[Any, Any, Any]], BaseModel]:
    """Makes an instance of ``cls`` from a ``model-fields`` result as pydantic-core's
    own model validator does: a bare instance, then ``__dict__``, the extras, no
    private state, and the set of fields given."""
    new = object.__new__
    setattr_ = object.__setattr__

    def build(parts: tuple[Any, Any, Any]) -> BaseModel:
        fields, extra, fields_set = parts
        instance = new(cls)
        setattr_(instance, "__dict__", fields)
        setattr_(instance, "__pydantic_extra__", extra)
        setattr_(instance, "__pydantic_private__", None)
        setattr_(instance, "__pydantic_fields_set__", fields_set)
        return instance

    return build


def _same_config(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return {k: v for k, v in a.items() if k != "title"} == {
        k: v for k, v in b.items() if k != "title"
    }


class _Rewriter:
    """Copies a model's core schema with the hooks of the module docstring made
    native.

    pydantic-core validates a ``model`` schema whose class is already built with
    that class's own validator (hooks and all), whatever the schema says.  So each
    ``model`` becomes its ``model-fields`` schema plus a builder of the instance (one
    Python call a model, instead of ~25 a sample).  A model schema carries its own
    config; the copy has one config for all, so every model in it must have the
    same (the contract's request models do: strict, extras ignored, no NaN).
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    def __call__(self, node: Mapping[str, Any]) -> dict[str, Any]:
        kind = node["type"]
        if kind == "function-before":
            return self._before(node)
        if kind == "model":
            return self._model(node)
        if kind not in _DESCEND:
            return dict(node)
        out = dict(node)
        if kind == "default" and node.get("on_error", "raise") != "raise":
            return out  # it would turn a stricter child's failure into the default
        if kind == "model-fields":
            if node.get("extras_schema") is not None or node.get("extras_keys_schema"):
                return out
            out["fields"] = {name: self(field) for name, field in node["fields"].items()}
            return out
        if kind == "list":
            out["items_schema"] = self(node["items_schema"])
            return out
        out["schema"] = self(node["schema"])
        if kind == "function-after":
            bound = _native_bound(_function(node))
            native = out["schema"]
            if bound is not None and native["type"] in ("int", "float") and bound[0] not in native:
                return {**native, bound[0]: bound[1]}
        return out

    def _before(self, node: Mapping[str, Any]) -> dict[str, Any]:
        function = _function(node)
        inner = node["schema"]
        if function is NotNull.func and inner["type"] == "nullable":
            native = self(inner["schema"])
            if _refuses_null(native):
                return native
        elif function is Whole.func:
            native = self(inner)
            if native["type"] == "int":
                return native
        return dict(node)  # kept whole: an unknown hook may accept anything

    def _model(self, node: Mapping[str, Any]) -> dict[str, Any]:
        plain = not (
            node.get("custom_init")
            or node.get("root_model")
            or node.get("post_init")
            or node.get("generic_origin")
        )
        fields = node["schema"]
        if not plain or fields["type"] != "model-fields":
            return dict(node)
        if not _same_config(node.get("config") or {}, self.config):
            return dict(node)
        return {
            "type": "function-after",
            "function": {"type": "no-info", "function": _build_model(node["cls"])},
            "schema": self(fields),
        }


def _still_python(node: Any) -> list[str]:
    """Names of the contract hooks left in a rewritten schema (for the log)."""
    found: list[str] = []
    if isinstance(node, Mapping):
        function = node.get("function")
        if isinstance(function, Mapping):
            name = getattr(function.get("function"), "__name__", None)
            found.append(str(name or function.get("function")))
        for value in node.values():
            found += _still_python(value)
    elif isinstance(node, list | tuple):
        for value in node:
            found += _still_python(value)
    return found


class FastValidator(Generic[M]):
    """``validate(raw)`` → the model the contract would build from ``raw``, or None
    when the original path has to decide (invalid, or unusual, input)."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._validator: SchemaValidator | None = None
        if sys.get_int_max_str_digits() != _INT_DIGITS_LIMIT:
            return
        try:
            schema = model.__pydantic_core_schema__
            if schema["type"] != "model":
                raise TypeError(f"a {schema['type']!r} schema, not a model's")
            config = schema.get("config") or {}
            native = _Rewriter(config)(schema)
            self._validator = SchemaValidator(cast(CoreSchema, native), cast(CoreConfig, config))
        except Exception:  # never worse than without: the original path stays
            log.warning("no native validator for %s", model.__name__, exc_info=True)
            return
        log.debug(
            "native validator for %s; Python hooks kept: %s",
            model.__name__,
            sorted(set(_still_python(native))),
        )

    @property
    def enabled(self) -> bool:
        return self._validator is not None

    def validate(self, raw: bytes | bytearray) -> M | None:
        validator = self._validator
        if validator is None or any(token in raw for token in _NON_JSON_TOKENS):
            return None
        try:
            body = validator.validate_json(raw)
        except ValidationError:
            return None
        assert isinstance(body, self.model)
        return body
