"""Refuse a scalar query parameter given more than once.

Starlette keeps every value of ``?reason=a&reason=b`` and FastAPI reads the last one
of a scalar parameter, so a request could say two things and have one of them
silently ignored. A request means one thing or is refused whole: this app-wide
dependency answers 422 naming each scalar parameter that came more than once.
List parameters (``group_by``, ``types``) may repeat, as documented.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

_SEQUENCES = (list, tuple, set, frozenset, Sequence)


def refuse_repeated_query_parameters(request: Request) -> None:
    """422 when a scalar query parameter of the matched route is given more than once."""
    query = request.query_params
    route = request.scope.get("route")
    if len(query.multi_items()) == len(query) or not isinstance(route, APIRoute):
        return  # the usual case: no name given twice
    repeated = [
        name for name in scalar_query_names(route.dependant) if len(query.getlist(name)) > 1
    ]
    if repeated:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": "given more than once; give it once",
                    "type": "repeated",
                }
                for name in repeated
            ]
        )


def scalar_query_names(dependant: Dependant) -> list[str]:
    """The query parameters of a route (its dependencies' included) that take one value."""
    names: list[str] = []
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            names += [
                info.alias or name
                for name, info in model.model_fields.items()
                if not is_sequence(info.annotation)
            ]
        elif not is_sequence(model):
            names.append(param.alias)
    for sub in dependant.dependencies:
        names += scalar_query_names(sub)
    return list(dict.fromkeys(names))


def is_sequence(annotation: Any) -> bool:
    """Whether a parameter's type takes several values (``list[str] | None`` does)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return is_sequence(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(is_sequence(arg) for arg in get_args(annotation))
    return annotation in _SEQUENCES or origin in _SEQUENCES
