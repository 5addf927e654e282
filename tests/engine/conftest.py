"""Fixtures: tiny packages exported through model_export, once per test session."""

from tests.utils.tiny import (  # noqa: F401  (fixtures, found by name)
    _tiny_packages_first,
    classification_pkg,
    embedding_pkg,
    generation_pkg,
    pkg_copy,
    tiny_base,
)
