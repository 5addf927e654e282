"""Export Hugging Face models to agentnet model packages (needs the `export` extra).

``export(source, kind, out_dir, quantize=None, fp16=False, optimize=None)`` writes a
package and returns its model id; see :mod:`model_export.export`.
"""

from __future__ import annotations

from typing import Any


def export(*args: Any, **kwargs: Any) -> str:
    """Lazy wrapper around :func:`model_export.export.export` (imports torch)."""
    from model_export.export import export as _export

    return _export(*args, **kwargs)


__all__ = ["export"]
