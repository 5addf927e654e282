"""Agreement rules: when two canonical outputs of one package count as the same answer.

A package declares its rule in ``manifest["agreement_rule"]`` (covered by the model
id, so one package has exactly one rule). The quorum itself compares output hashes,
so byte-identical outputs always agree; a rule other than ``exact`` says which
byte-different outputs an honest agent may still produce, for a dispute to accept.

Rules (version ``agreement-rule/1``):

- ``{"rule": "exact"}``: two outputs agree iff their bytes are equal. The rule of
  classification and generation packages, and of any package without the field.
- ``{"rule": "int8_max_abs_diff", "max_steps": K}`` (embedding packages only,
  ``K`` an integer >= 0): two outputs agree iff their bytes are equal, or both
  are embedding outputs (``{"dim": d, "i8": base64}`` as written by
  :func:`oracles.engine.canonical.embedding_bytes`, canonical JSON) of the same
  dimension ``d`` whose base64 decodes to exactly ``d`` bytes, and every
  coordinate, read as a signed int8, differs by at most ``K``. An error output
  (``{"error": ...}``) or anything malformed agrees only with identical bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from oracles.engine.canonical import dumps
from oracles.package import PackageError
from oracles.protocol import ModelKind, registry_tolerance

RULE_VERSION = "agreement-rule/1"
EXACT = "exact"
INT8_MAX_ABS_DIFF = "int8_max_abs_diff"


@dataclass(frozen=True)
class AgreementRule:
    """A parsed agreement rule."""

    rule: str = EXACT
    max_steps: int = 0

    def to_json(self) -> dict[str, Any]:
        """The manifest form of the rule."""
        if self.rule == EXACT:
            return {"rule": EXACT}
        return {"rule": self.rule, "max_steps": self.max_steps}


def default_rule(kind: str) -> AgreementRule:
    """The rule export writes for a kind: one int8 step for embeddings, else exact.

    Embeddings: a float that lands near a rounding boundary of ``round(127 x)``
    rounds to neighbouring int8 values on CPUs with different kernels (measured:
    about 1 vector in 300 between AVX-512 and AVX2, never more than one step).
    """
    return AgreementRule(INT8_MAX_ABS_DIFF, 1) if kind == "embedding" else AgreementRule()


def parse_rule(manifest: dict[str, Any]) -> AgreementRule:
    """The package's rule; ``exact`` when absent; PackageError when malformed."""
    raw = manifest.get("agreement_rule")
    if raw is None:
        return AgreementRule()
    if not isinstance(raw, dict) or not isinstance(raw.get("rule"), str):
        raise PackageError("manifest.json: 'agreement_rule' must be an object with a 'rule'")
    name = raw["rule"]
    if name == EXACT and set(raw) == {"rule"}:
        return AgreementRule()
    if name == INT8_MAX_ABS_DIFF and set(raw) == {"rule", "max_steps"}:
        steps = raw["max_steps"]
        if isinstance(steps, int) and not isinstance(steps, bool) and 0 <= steps <= 255:
            if manifest.get("kind") not in (None, "embedding"):
                raise PackageError(f"manifest.json: rule {name} applies to embeddings only")
            return AgreementRule(name, steps)
    raise PackageError(f"manifest.json: unknown or malformed agreement_rule {raw!r}")


def package_tolerance(manifest: dict[str, Any]) -> int:
    """The ModelRegistry tolerance of a package (``registerModelWithTolerance``): its
    manifest's rule, as :func:`oracles.protocol.registry_tolerance` maps it."""
    rule = parse_rule(manifest)
    kind = ModelKind[str(manifest.get("kind", "embedding")).upper()]
    return registry_tolerance(rule.rule, rule.max_steps, kind)


def embedding_vector(output: bytes) -> np.ndarray | None:
    """The int8 vector of a canonical embedding output, or None if it is not one."""
    try:
        obj = json.loads(output.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(obj, dict) or set(obj) != {"dim", "i8"}:
        return None
    dim, text = obj["dim"], obj["i8"]
    if not isinstance(dim, int) or isinstance(dim, bool) or not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None
    if len(raw) != dim or dumps(obj) != output:
        return None
    return np.frombuffer(raw, dtype=np.int8)


def int8_steps(a: bytes, b: bytes) -> int | None:
    """Largest coordinate difference of two embedding outputs (None: not comparable)."""
    va, vb = embedding_vector(a), embedding_vector(b)
    if va is None or vb is None or va.shape != vb.shape:
        return None
    if va.size == 0:
        return 0
    return int(np.max(np.abs(va.astype(np.int16) - vb.astype(np.int16))))


def outputs_agree(rule: AgreementRule, a: bytes, b: bytes) -> bool:
    """Whether two canonical outputs of one package agree under its rule."""
    if a == b:
        return True
    if rule.rule == EXACT:
        return False
    steps = int8_steps(a, b)
    return steps is not None and steps <= rule.max_steps


def manifest_outputs_agree(manifest: dict[str, Any], a: bytes, b: bytes) -> bool:
    """``outputs_agree`` under the rule a manifest declares."""
    return outputs_agree(parse_rule(manifest), a, b)
