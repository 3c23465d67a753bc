"""A gwcs ``RegionsSelector`` evaluated slice by slice on grouped pixels.

gwcs's ``RegionsSelector.evaluate`` compares every input with each label in
turn (one full-length mask per slice of the MRS) and calls each slice's
transform through astropy.  Here the labels are sorted once (a stable
sort keeps each slice's pixels in their order; labels already in order are
taken as runs, with no sort nor gather), each slice's transform (compiled by
:func:`spec2x.cube.fastmodel.fast_model`) runs on its contiguous run, and the
values go back in place: the same numbers as gwcs's.  Pixels of no slice get
the selector's ``undefined_transform_value``.

:func:`labelled_function` takes the labels from the caller: points known to
share a label (a pixel's corners lie in its centre's slice) are mapped
together without looking their labels up again.  NumPy only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

__all__ = ["is_selector", "labelled_function", "selector_function"]

#: ``f(labels, *inputs) -> outputs``: see :func:`labelled_function`.
LabelledFunction = Callable[..., tuple[np.ndarray, ...]]


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
    run, mapper = labelled_function(selector, compile_model), selector.label_mapper

    def evaluate(*args: np.ndarray) -> tuple[np.ndarray, ...]:
        args = tuple(np.asarray(a, np.float64).ravel() for a in args)
        return tuple(out[0] for out in run(np.asarray(mapper(*args)).ravel(), *args))

    return evaluate


def labelled_function(
    selector: Any, compile_model: Callable[[Any], Callable[..., tuple[np.ndarray, ...]]]
) -> LabelledFunction:
    """The selector's values at points whose labels are given.

    Parameters
    ----------
    selector : a gwcs ``RegionsSelector``.
    compile_model : turns each slice's transform into a function (arrays in, tuple out).

    Returns
    -------
    ``f(labels, *inputs) -> outputs``: ``labels`` (n,); each input (n,) or (k, n),
    k points sharing each label (a pixel's centre and corners); each output (k, n)
    float64.
    """
    transforms = {label: compile_model(t) for label, t in selector.selector.items()}
    n_outputs, fill = selector.n_outputs, selector.undefined_transform_value
    skip = {0, "", selector.label_mapper.no_label}

    def evaluate(labels: np.ndarray, *args: np.ndarray) -> tuple[np.ndarray, ...]:
        labels = np.asarray(labels).ravel()
        args = tuple(np.asarray(a, np.float64).reshape(-1, labels.size) for a in args)
        k = args[0].shape[0]
        outputs = tuple(np.empty((k, labels.size)) for _ in range(n_outputs))
        for label, at in _runs(labels):
            if label in skip or label not in transforms:
                for out in outputs:
                    out[:, at] = fill
                continue
            values = transforms[label](*(a[:, at].ravel() for a in args))
            for out, value in zip(outputs, values, strict=True):
                out[:, at] = np.reshape(value, (k, -1))
        return outputs

    return evaluate


def _runs(labels: np.ndarray) -> Iterator[tuple[Any, slice | np.ndarray]]:
    """(label, where) of each label's points: a slice when ``labels`` are in order, else indices."""
    if labels.size == 0:
        return
    ordered = bool((labels[1:] >= labels[:-1]).all())
    order = None if ordered else np.argsort(labels, kind="stable")
    ranked = labels if order is None else labels[order]
    starts = np.concatenate([[0], np.flatnonzero(ranked[1:] != ranked[:-1]) + 1])
    ends = np.append(starts[1:], ranked.size)
    for label, start, end in zip(ranked[starts].tolist(), starts, ends, strict=True):
        yield label, slice(start, end) if order is None else order[start:end]
