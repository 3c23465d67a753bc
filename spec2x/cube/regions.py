"""A gwcs ``RegionsSelector`` evaluated slice by slice on grouped pixels.

gwcs's ``RegionsSelector.evaluate`` compares every input with each label in
turn (one full-length mask per slice of the MRS) and calls each slice's
transform through astropy.  Here the labels are sorted once (a stable
sort keeps each slice's pixels in their order), each slice's transform
(compiled by :func:`spec2x.cube.fastmodel.fast_model`) runs on its
contiguous run, and the values go back in place: the same numbers as
gwcs's.  Pixels of no slice get the selector's ``undefined_transform_value``.
NumPy only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["is_selector", "selector_function"]


def is_selector(model: Any) -> bool:
    """Whether ``model`` is a gwcs ``RegionsSelector`` (by its parts, gwcs is not imported)."""
    return hasattr(model, "label_mapper") and hasattr(model, "selector")


def selector_function(
    selector: Any, compile_model: Callable[[Any], Callable[..., tuple[np.ndarray, ...]]]
) -> Callable[..., tuple[np.ndarray, ...]]:
    """``selector(*inputs)``'s values as a function of flat float arrays.

    Parameters
    ----------
    selector : a gwcs ``RegionsSelector``.
    compile_model : turns each slice's transform into a function (arrays in, tuple out).
    """
    transforms = {label: compile_model(t) for label, t in selector.selector.items()}
    mapper, n_outputs = selector.label_mapper, selector.n_outputs
    skip = {0, "", mapper.no_label}

    def evaluate(*args: np.ndarray) -> tuple[np.ndarray, ...]:
        args = tuple(np.asarray(a, np.float64).ravel() for a in args)
        labels = np.asarray(mapper(*args)).ravel()
        fill = selector.undefined_transform_value
        outputs = tuple(np.full(labels.shape, fill) for _ in range(n_outputs))
        if labels.size == 0:
            return outputs
        order = np.argsort(labels, kind="stable")
        ranked = labels[order]
        starts = np.concatenate([[0], np.flatnonzero(ranked[1:] != ranked[:-1]) + 1])
        ends = np.append(starts[1:], ranked.size)
        for label, start, end in zip(ranked[starts].tolist(), starts, ends, strict=True):
            if label in skip or label not in transforms:
                continue
            at = order[start:end]
            values = transforms[label](*(a[at] for a in args))
            for out, value in zip(outputs, values, strict=True):
                out[at] = value
        return outputs

    return evaluate
