"""Evaluate the WCS of many slits in one stacked call, as their one-by-one evaluation.

The slitlets of a NIRSpec MOS exposure share their optical transforms
(FPA, camera, collimator, fore optics, telescope) and differ only in a few
per-slit parameters: the cut-out origin (``Shift``), the shutter's position
and size on the MSA (``Scale``, ``Shift``, the quadrant's model), the slit's
y extent (``Logical``, ``Tabular1D``).  Here the pixels of all slits are
concatenated and each transform is evaluated once for every group of slits
whose models are equal: the compound models are walked (``|`` and ``&``)
down to where they differ; ``Shift`` and ``Scale`` leaves that differ only by
value take a per-pixel parameter array; any other differing leaf is
evaluated once per group of equal ones on that group's pixels.  Each pixel
meets the arithmetic of its own slit's model without the per-slit overhead
of astropy compound models: the same numbers, bit for bit, but for
``AffineTransformation2D``, whose matrix product (``np.dot``) may round a
value an ulp differently for arrays of another length (on the 500-slitlet
exposure of ``benchmarks/mos_resample.py`` most slitlets differ from their
one-by-one evaluation somewhere by an ulp).

NumPy and astropy only (no xarray).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["stacked_between", "stacked_pixel_frames"]

#: Non-parameter attributes that define a leaf model's arithmetic, by class name; leaves of
#: other classes are equal only to themselves (same object).
_STATE = {
    "Shift": (),
    "Scale": (),
    "Multiply": (),
    "Const1D": (),
    "Identity": ("n_inputs",),
    "Mapping": ("mapping", "n_inputs"),
    "AffineTransformation2D": (),
    "Polynomial1D": ("degree", "domain", "window"),
    "Polynomial2D": ("degree", "x_domain", "y_domain", "x_window", "y_window"),
    "Unitless2DirCos": (),
    "DirCos2Unitless": (),
    "Rotation3DToGWA": ("axes_order",),
    "RotationSequence3D": ("axes_order",),
    "SphericalToCartesian": ("wrap_lon_at",),
    "CartesianToSpherical": ("wrap_lon_at",),
    "RefractionIndexFromPrism": (),
    "Logical": ("condition", "compareto", "value"),
}

Frames = dict[str, tuple[np.ndarray, ...]]


def _exact(value: Any) -> Any:
    """A hashable, exact form of a value (arrays by shape, dtype and bytes)."""
    if isinstance(value, np.ndarray):
        return (value.shape, value.dtype.str, value.tobytes())
    return repr(value)


def _leaf_key(model: Any) -> Any:
    name = type(model).__name__
    if name not in _STATE:
        return ("id", id(model))
    params = tuple(_exact(np.asarray(getattr(model, p).value)) for p in model.param_names)
    state = tuple(_exact(getattr(model, a, None)) for a in _STATE[name])
    return (type(model), model.param_names, params, state)


def _key(model: Any, cache: dict[int, Any]) -> Any:
    """A hashable description of ``model``'s forward arithmetic: equal keys, equal numbers."""
    found = cache.get(id(model))
    if found is None:
        if hasattr(model, "op") and hasattr(model, "left"):
            found = (model.op, _key(model.left, cache), _key(model.right, cache))
            if model.op == "fix_inputs":
                found = ("id", id(model))
        else:
            found = _leaf_key(model)
        cache[id(model)] = (model, found)  # the model kept alive: its id stays unique
        return found
    return found[1]


def _call(model: Any, values: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    result = model(*values)
    return tuple(result) if isinstance(result, tuple) else (result,)


def _per_pixel(models: list[Any], sizes: np.ndarray, values: tuple) -> tuple | None:
    """``Shift`` / ``Scale`` leaves differing only by value: one per-pixel parameter array."""
    kind = type(models[0]).__name__
    if kind not in ("Shift", "Scale") or any(type(m) is not type(models[0]) for m in models):
        return None
    if any(getattr(m, m.param_names[0]).unit is not None for m in models):
        return None
    per_slit = np.array([getattr(m, m.param_names[0]).value for m in models], dtype=np.float64)
    param = np.repeat(per_slit, sizes)
    x = np.asarray(values[0], dtype=np.float64)
    return (x + param,) if kind == "Shift" else (param * x,)


def _by_group(
    models: list[Any], keys: list[Any], sizes: np.ndarray, values: tuple
) -> tuple[np.ndarray, ...]:
    """Each group of equal models evaluated once on its slits' pixels, scattered back."""
    stops = np.cumsum(sizes)
    starts = stops - sizes
    groups: dict[Any, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    out: list[np.ndarray] | None = None
    for members in groups.values():
        idx = np.concatenate([np.arange(starts[i], stops[i]) for i in members])
        result = _call(models[members[0]], tuple(np.asarray(v)[idx] for v in values))
        if out is None:
            out = [np.empty(int(stops[-1]), dtype=np.asarray(r).dtype) for r in result]
        for o, r in zip(out, result, strict=True):
            o[idx] = r
    assert out is not None
    return tuple(out)


def _evaluate(
    models: list[Any], sizes: np.ndarray, values: tuple, cache: dict[int, Any]
) -> tuple[np.ndarray, ...]:
    """``models[i]`` on the pixels of slit ``i`` (``sizes[i]`` of them, concatenated in
    ``values``), every group of equal (sub)models evaluated once."""
    keys = [_key(m, cache) for m in models]
    first = models[0]
    if all(k == keys[0] for k in keys):
        return _call(first, values)
    op = getattr(first, "op", None)
    same_op = op in ("|", "&") and all(getattr(m, "op", None) == op for m in models)
    if same_op and op == "|" and len({m.left.n_outputs for m in models}) == 1:
        middle = _evaluate([m.left for m in models], sizes, values, cache)
        return _evaluate([m.right for m in models], sizes, middle, cache)
    if same_op and len({(m.left.n_inputs, m.left.n_outputs) for m in models}) == 1:
        n = first.left.n_inputs
        left = _evaluate([m.left for m in models], sizes, values[:n], cache)
        return left + _evaluate([m.right for m in models], sizes, values[n:], cache)
    return _per_pixel(models, sizes, values) or _by_group(models, keys, sizes, values)


def _inverse_key(model: Any, cache: dict[int, Any]) -> Any:
    """A hashable description of ``model``'s inverse arithmetic (its own inverse when set)."""
    user = getattr(model, "_user_inverse", None)
    return ("inverse", _key(user, cache)) if user is not None else _key(model, cache)


def _per_pixel_inverse(models: list[Any], sizes: np.ndarray, values: tuple) -> tuple | None:
    """Inverses of ``Shift`` / ``Scale`` leaves differing only by value, per pixel, with
    astropy's arithmetic (``x + (-offset)``, ``(1 / factor) * x``)."""
    if any(getattr(m, "_user_inverse", None) is not None for m in models):
        return None
    kind = type(models[0]).__name__
    if kind not in ("Shift", "Scale") or any(type(m) is not type(models[0]) for m in models):
        return None
    if any(getattr(m, m.param_names[0]).unit is not None for m in models):
        return None
    per_slit = np.array([getattr(m, m.param_names[0]).value for m in models], dtype=np.float64)
    param = np.repeat(-per_slit if kind == "Shift" else 1 / per_slit, sizes)
    x = np.asarray(values[0], dtype=np.float64)
    return (x + param,) if kind == "Shift" else (param * x,)


def _evaluate_inverse(
    models: list[Any], sizes: np.ndarray, values: tuple, cache: dict[int, Any]
) -> tuple[np.ndarray, ...]:
    """``models[i].inverse`` on the values of slit ``i``: compound models walked backwards
    (``|`` right to left, ``&`` side by side, as astropy builds their inverse), every group
    of equal (sub)models inverted and evaluated once."""
    keys = [_inverse_key(m, cache) for m in models]
    first = models[0]
    op = getattr(first, "op", None)
    walk = all(getattr(m, "_user_inverse", None) is None for m in models)
    same_op = walk and op in ("|", "&") and all(getattr(m, "op", None) == op for m in models)
    if all(k == keys[0] for k in keys):
        return _call(first.inverse, values)
    if same_op and op == "|" and len({m.right.n_inputs for m in models}) == 1:
        middle = _evaluate_inverse([m.right for m in models], sizes, values, cache)
        return _evaluate_inverse([m.left for m in models], sizes, middle, cache)
    if same_op and len({(m.left.n_inputs, m.left.n_outputs) for m in models}) == 1:
        n = first.left.n_outputs
        left = _evaluate_inverse([m.left for m in models], sizes, values[:n], cache)
        return left + _evaluate_inverse([m.right for m in models], sizes, values[n:], cache)
    found = _per_pixel_inverse(models, sizes, values)
    if found is not None:
        return found
    inverses: dict[Any, Any] = {}
    for m, k in zip(models, keys, strict=True):
        if k not in inverses:
            inverses[k] = m.inverse
    return _by_group([inverses[k] for k in keys], keys, sizes, values)


def _between(
    wcss: list[Any], start: str, end: str, points: list[tuple[np.ndarray, ...]]
) -> list[tuple[np.ndarray, ...]]:
    """:func:`stacked_between` for WCSs with the same frames."""
    names = list(_frame_names(wcss[0]))
    i, j = names.index(start), names.index(end)
    sizes = np.array([np.size(p[0]) for p in points], dtype=np.intp)
    values: tuple[np.ndarray, ...] = tuple(
        np.concatenate([np.ravel(np.asarray(p[a], dtype=np.float64)) for p in points])
        for a in range(len(points[0]))
    )
    cache: dict[int, Any] = {}
    for k in range(i, j) if i <= j else reversed(range(j, i)):
        transforms = [w.pipeline[k].transform for w in wcss]
        if i <= j:
            values = _evaluate(transforms, sizes, values, cache)
        else:
            values = _evaluate_inverse(transforms, sizes, values, cache)
    stops = np.cumsum(sizes)
    return [
        tuple(np.asarray(v)[b - n : b] for v in values) for b, n in zip(stops, sizes, strict=True)
    ]


def stacked_between(
    wcss: Sequence[Any], start: str, end: str, points: Sequence[tuple[np.ndarray, ...]]
) -> list[tuple[np.ndarray, ...]]:
    """Each WCS's transform from frame ``start`` to frame ``end`` on its own points, all
    slits at once: the pipeline's steps one after the other (their inverses backwards when
    ``end`` comes first), as :func:`spec2x._kernels.resample_spec.between` evaluates one.

    Parameters
    ----------
    wcss : gwcs objects, one per slit (those with the same frames are stacked together).
    start, end : frame names.
    points : per slit, the coordinates in ``start`` (1-D arrays of equal length).

    Returns
    -------
    Per slit, the coordinates in ``end``.
    """
    by_frames: dict[tuple[str, ...], list[int]] = {}
    for i, w in enumerate(wcss):
        by_frames.setdefault(_frame_names(w), []).append(i)
    out: list[tuple[np.ndarray, ...]] = [() for _ in wcss]
    for members in by_frames.values():
        found = _between([wcss[i] for i in members], start, end, [points[i] for i in members])
        for i, values in zip(members, found, strict=True):
            out[i] = values
    return out


def _inside(wcs: Any, shape: tuple[int, ...]) -> np.ndarray:
    """True on the pixels of an image of ``shape`` inside ``wcs``'s bounding box."""
    y, x = np.indices(shape, dtype=np.float64)
    if wcs.bounding_box is None:
        return np.ones(shape, dtype=bool)
    bb = wcs.bounding_box
    (x0, x1), (y0, y1) = ((float(bb[0][0]), float(bb[0][1])), (float(bb[1][0]), float(bb[1][1])))
    return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def _frame_names(wcs: Any) -> tuple[str, ...]:
    return tuple(getattr(s.frame, "name", str(s.frame)) for s in wcs.pipeline)


def _stack(
    wcss: list[Any], masks: list[np.ndarray], keep: tuple[str, ...]
) -> dict[str, tuple[np.ndarray, ...]]:
    """Walk the (common) pipeline of ``wcss`` on the concatenated pixels inside ``masks``;
    the values of the frames in ``keep`` and of the output frame, concatenated."""
    sizes = np.array([int(m.sum()) for m in masks], dtype=np.intp)
    grids = [np.indices(m.shape, dtype=np.float64) for m in masks]
    values: tuple[np.ndarray, ...] = (
        np.concatenate([g[1][m] for g, m in zip(grids, masks, strict=True)]),
        np.concatenate([g[0][m] for g, m in zip(grids, masks, strict=True)]),
    )
    found = {}
    cache: dict[int, Any] = {}
    for k, name in enumerate(_frame_names(wcss[0])):
        transform = wcss[0].pipeline[k].transform
        if name in keep or transform is None:
            found[name] = values
        if transform is None:
            break
        if values[0].size:
            values = _evaluate([w.pipeline[k].transform for w in wcss], sizes, values, cache)
        else:
            values = (values[0],) * transform.n_outputs
    return found


def stacked_pixel_frames(
    wcss: Sequence[Any], shapes: Sequence[tuple[int, ...]], keep: tuple[str, ...] = ()
) -> list[Frames]:
    """Each WCS on every pixel of its image, evaluated for all of them at once.

    Parameters
    ----------
    wcss : gwcs objects, one per slit (those with the same frames are stacked together).
    shapes : (ny, nx) of each slit's image.
    keep : intermediate frames to return besides the output frame (e.g. ``slit_frame``).

    Returns
    -------
    Per slit, frame name -> the frame's values (one (ny, nx) array per axis, NaN
    outside the slit's bounding box), ``wcs`` evaluated step by step on that slit
    alone (as drizzle's ``calc_pixmap`` evaluates it), to an ulp (module notes).
    """
    masks = [_inside(w, tuple(s)) for w, s in zip(wcss, shapes, strict=True)]
    by_frames: dict[tuple[str, ...], list[int]] = {}
    for i, w in enumerate(wcss):
        by_frames.setdefault(_frame_names(w), []).append(i)
    out: list[Frames] = [{} for _ in wcss]
    for members in by_frames.values():
        found = _stack([wcss[i] for i in members], [masks[i] for i in members], keep)
        offsets = np.concatenate([[0], np.cumsum([masks[i].sum() for i in members])])
        for j, i in enumerate(members):
            for name, vals in found.items():
                full = []
                for v in vals:
                    a = np.full(masks[i].shape, np.nan)
                    a[masks[i]] = np.asarray(v)[offsets[j] : offsets[j + 1]]
                    full.append(a)
                out[i][name] = tuple(full)
    return out
