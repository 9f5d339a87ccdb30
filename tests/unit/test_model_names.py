"""Model names are unique across the layer: the OpenAPI document names each schema after its class, and where two
share a name one silently replaces the other (an answer is then checked against the wrong schema)."""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict

from pydantic import BaseModel

import keytally


def test_no_two_models_share_a_name():
    modules: dict[str, set[str]] = defaultdict(set)
    for found in pkgutil.walk_packages(keytally.__path__, "keytally."):
        module = importlib.import_module(found.name)
        for name, value in vars(module).items():
            ours = isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == module.__name__
            if ours and not name.startswith("_"):
                modules[name].add(module.__name__)
    assert {name: where for name, where in modules.items() if len(where) > 1} == {}
