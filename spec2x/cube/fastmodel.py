"""Evaluate a composed astropy model as direct NumPy algebra, with astropy's numbers.

Calling a compound model in astropy checks, broadcasts and reshapes the
inputs, parameters and outputs of every one of its parts; on the IFU
transforms (hundreds of shifts, mappings and polynomials per slice) that
costs more than the arithmetic.  :func:`fast_model` walks the model's tree
once and returns a plain function doing only the arithmetic, in astropy's
order:

- ``|``, ``&`` and the arithmetic operators as ``CompoundModel._evaluate``;
- ``Mapping``/``Identity``, ``Shift``, ``Scale``, ``Multiply`` and ``Const1D``
  as their ``evaluate``;
- ``Tabular1D`` (linear, no bounds error, ascending points) as scipy's
  ``interpn`` computes it: the interval by binary search, then
  ``v[i] (1 - t) + v[i + 1] t``, ``fill_value`` outside, NaN for NaN;
- ``AffineTransformation2D`` as its ``evaluate``: the augmented matrix (made
  once) times the stacked inputs and a row of ones, by the same ``dot``;
- ``Polynomial2D`` by astropy's multivariate Horner scheme with
  the exact-zero terms left out (adding or multiplying a zero term changes
  no non-zero value; a non-finite input still gives NaN as astropy's
  ``0 * x`` does);
- a gwcs ``RegionsSelector`` slice by slice (:mod:`spec2x.cube.regions`);
- gwcs's ``SphericalToCartesian``/``CartesianToSpherical``, astropy's
  ``Polynomial1D`` and the NIRSpec optics of stdatamodels (``Rotation3DToGWA``,
  ``Unitless2DirCos``, ``DirCos2Unitless``, ``RefractionIndexFromPrism``,
  ``Logical``) by their own ``evaluate`` with the parameters astropy passes it
  (arrays in; scalars by astropy's call), and ``RotationSequence3D`` as its
  ``evaluate`` (the same ``dot``) with its matrix found once (the images of
  the unit vectors, exact);
- any other part by its own ``__call__``.

The values are astropy's (equal as numbers, ``np.array_equal``; only the
sign of an exact zero may differ).  No bounding box is applied, as a model
called without ``with_bounding_box``.  NumPy only.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
from astropy.modeling import CompoundModel
from astropy.modeling.functional_models import Const1D, Multiply, Scale, Shift
from astropy.modeling.mappings import Mapping
from astropy.modeling.polynomial import Polynomial1D, Polynomial2D
from astropy.modeling.projections import AffineTransformation2D
from astropy.modeling.rotations import RotationSequence3D
from astropy.modeling.tabular import Tabular1D
from gwcs.geometry import CartesianToSpherical, SphericalToCartesian
from stdatamodels.jwst.transforms.models import (
    DirCos2Unitless,
    Logical,
    RefractionIndexFromPrism,
    Rotation3DToGWA,
    Unitless2DirCos,
)

from .regions import is_selector, selector_function

__all__ = ["FastFunction", "fast_call", "fast_model"]

#: A compiled model: arrays in, a tuple of arrays out.
FastFunction = Callable[..., tuple[np.ndarray, ...]]

_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
               "**": operator.pow}  # fmt: skip


#: Parts evaluated by their own ``evaluate`` (:func:`_evaluated`): astropy's call adds only
#: checks and reshaping to it, ~0.1 ms a call.
_EVALUATED = (
    SphericalToCartesian, CartesianToSpherical, Polynomial1D, Rotation3DToGWA, Unitless2DirCos,
    DirCos2Unitless, RefractionIndexFromPrism, Logical,
)  # fmt: skip

#: Compiled functions of the models still alive (a gwcs keeps its links).
_COMPILED: weakref.WeakKeyDictionary[Any, FastFunction] = weakref.WeakKeyDictionary()


def fast_call(model: Any, *inputs: Any) -> tuple[np.ndarray, ...]:
    """``model(*inputs)`` as a tuple, by :func:`fast_model` compiled once per model.

    Scalar or list inputs are taken as float arrays of their shape.  The model's
    parameters are read when it is first compiled (a gwcs's links do not change).
    """
    func = _COMPILED.get(model)
    if func is None:
        func = _COMPILED[model] = fast_model(model)
    arrays = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in inputs))
    return func(*arrays)


def fast_model(model: Any) -> FastFunction:
    """A function giving ``model(*inputs)``'s values (always a tuple) without astropy's checks.

    Parameters
    ----------
    model : an astropy model (compound or not) or a gwcs ``RegionsSelector``.

    Returns
    -------
    ``f(*arrays) -> tuple of arrays``; inputs are float64 arrays of one shape (astropy
    takes every input as float64).  The parameters are read now, once.
    """
    if isinstance(model, CompoundModel):
        return _compound(model)
    if is_selector(model):
        return selector_function(model, fast_model)
    if _has_units(model) or len(model) != 1:  # units or a model set: astropy's own call
        return _called(model)
    if isinstance(model, Mapping):
        order = model.mapping
        return lambda *args: tuple(args[i] for i in order)
    if isinstance(model, Shift):
        offset = model.offset.value
        return lambda x: (x + offset,)
    if isinstance(model, (Scale, Multiply)):
        factor = model.factor.value
        return lambda x: (factor * x,)
    if isinstance(model, Const1D):
        amplitude = float(model.amplitude.value)
        return lambda x: (np.full(np.shape(x), amplitude, dtype=np.float64),)
    if isinstance(model, Polynomial2D):
        return _polynomial2d(model)
    if type(model) is Tabular1D and _plain_table(model):
        return _tabular1d(model)
    if type(model) in _EVALUATED:
        return _evaluated(model)
    if type(model) is RotationSequence3D:
        return _rotation(model)
    if type(model) is AffineTransformation2D:
        return _affine(model)
    return _called(model)


def _has_units(model: Any) -> bool:
    return any(getattr(model, name).unit is not None for name in model.param_names)


def _called(model: Any) -> FastFunction:
    """The part called as astropy calls it."""

    def call(*args: np.ndarray) -> tuple[np.ndarray, ...]:
        out = model(*args)
        return tuple(np.asarray(v) for v in out) if isinstance(out, tuple) else (np.asarray(out),)

    return call


def _evaluated(model: Any) -> FastFunction:
    """The part's own ``evaluate`` with its parameters as astropy's call passes them (raw,
    a set axis first), without the call: arrays of one shape in; scalars or mixed shapes
    by astropy's call (``evaluate`` itself may need arrays and give them)."""
    params = model._param_sets(raw=True, units=True) if model.param_names else ()
    call = _called(model)

    def evaluate(*args: np.ndarray) -> tuple[np.ndarray, ...]:
        shape = np.shape(args[0])
        if not shape or any(np.shape(a) != shape for a in args):
            return call(*args)
        out = model.evaluate(*args, *params)
        return tuple(out) if isinstance(out, (tuple, list)) else (out,)

    return evaluate


def _rotation(model: RotationSequence3D) -> FastFunction:
    """``RotationSequence3D.evaluate``: the matrix (astropy's, as the images of the unit
    vectors) times the stacked inputs, by the same ``dot``."""
    matrix = np.array(model(*np.eye(3)), dtype=np.float64)

    def evaluate(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
        rotated = np.dot(matrix, np.array([np.ravel(x), np.ravel(y), np.ravel(z)]))
        return tuple(np.reshape(rotated, (3, *np.shape(x))))  # scalars in, scalars out

    return evaluate


def _affine(model: AffineTransformation2D) -> FastFunction:
    """``AffineTransformation2D.evaluate`` without astropy's call: its augmented matrix
    times the rows x, y, 1 by the same ``dot`` (scalars by astropy's call: it returns scalars)."""
    matrix = model._create_augmented_matrix(model.matrix.value, model.translation.value)
    call = _called(model)

    def evaluate(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        if x.ndim == 0 or x.shape != y.shape:
            return call(x, y)
        rows = np.empty((3, x.size))
        rows[0], rows[1], rows[2] = x.ravel(), y.ravel(), 1.0
        out = np.dot(matrix, rows)
        return out[0].reshape(x.shape), out[1].reshape(x.shape)

    return evaluate


def _plain_table(model: Tabular1D) -> bool:
    """A table this module evaluates itself: linear, no bounds error, float64 points
    strictly ascending and values without units."""
    points, table = model.points[0], model.lookup_table
    return (
        model.method == "linear" and not model.bounds_error and model.fill_value is not None
        and isinstance(points, np.ndarray) and not hasattr(points, "unit")
        and type(table) is np.ndarray and table.dtype == np.float64 and points.size > 1
        and points.dtype == np.float64 and bool(np.all(np.diff(points) > 0))
    )  # fmt: skip


def _tabular1d(model: Tabular1D) -> FastFunction:
    """scipy's linear ``interpn`` on one axis (``RegularGridInterpolator``'s arithmetic)."""
    grid, values = np.asarray(model.points[0]), np.asarray(model.lookup_table)
    fill, last = float(model.fill_value), grid.size - 2

    def evaluate(x: np.ndarray) -> tuple[np.ndarray]:
        flat = np.ravel(x)
        i = np.searchsorted(grid, flat, side="right") - 1
        np.clip(i, 0, last, out=i)
        low = grid.take(i)
        t = (flat - low) / (grid.take(i + 1) - low)
        out = values.take(i) * (1 - t)
        out += values.take(i + 1) * t
        out[(flat < grid[0]) | (flat > grid[-1])] = fill
        out[np.isnan(flat)] = np.nan
        return (out.reshape(np.shape(x)),)

    return evaluate


def _compound(model: CompoundModel) -> FastFunction:
    op = model.op
    if op == "fix_inputs":
        return _called(model)
    left, right = fast_model(model.left), fast_model(model.right)
    if op == "|":
        return lambda *args: right(*left(*args))
    if op == "&":
        n = model.left.n_inputs
        return lambda *args: left(*args[:n]) + right(*args[n:])
    func = _ARITHMETIC[op]
    return lambda *args: tuple(func(a, b) for a, b in zip(left(*args), right(*args), strict=True))


def _polynomial2d(model: Polynomial2D) -> FastFunction:
    """astropy's ``multivariate_horner`` with the exact-zero terms left out.

    The steps (multiply the running sums by x, or by y) and the coefficients
    are found once; a running sum that is exactly zero is None.
    """
    coeffs = [float(c) for c in model.invlex_coeff(list(model.parameters))]
    steps = [bool(k) for k in np.diff(model._invlex(), axis=0)[:, 1] != 0]
    to_x = _window(model.x_domain, model.x_window)
    to_y = _window(model.y_domain, model.y_window)

    def evaluate(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray]:
        x, y = to_x(x), to_y(y)
        r0: Any = coeffs[0] or None
        r1: Any = None
        r2: Any = None
        # the running sums are this function's own arrays: summed and multiplied in place
        own = x.shape == y.shape and x.ndim > 0
        zero_times = [False, False]  # a zero sum multiplied by x, by y (NaN from inf/NaN)
        for n, by_y in enumerate(steps):
            total = _sum(own, r0, r1, r2) if by_y else _sum(own, r0, r1)
            if total is None:
                zero_times[by_y] = True
            elif own and isinstance(total, np.ndarray):
                np.multiply(total, y if by_y else x, out=total)
            else:
                total = (y if by_y else x) * total
            r1, r2 = (None, total) if by_y else (total, r2)
            r0 = coeffs[n + 1] or None
        shape = np.broadcast_shapes(x.shape, y.shape)
        result = _sum(own, r0, r1, r2)
        if isinstance(result, np.ndarray) and result.shape == shape:
            out = result
        else:
            out = np.full(shape, 0.0 if result is None else result, dtype=np.float64)
        for used, var in zip(zero_times, (x, y), strict=True):
            if used and not np.isfinite(var).all():
                out = np.where(np.isfinite(var), out, np.nan)
        return (out,)

    return evaluate


def _window(domain: Any, window: Any) -> Callable[[np.ndarray], np.ndarray]:
    """astropy's ``poly_map_domain`` (``off + scl * x``); skipped when it maps x to itself."""
    if domain is None:
        return lambda x: x
    (d0, d1), (w0, w1) = np.asarray(domain, np.float64), np.asarray(window, np.float64)
    scl, off = (w1 - w0) / (d1 - d0), (w0 * d1 - w1 * d0) / (d1 - d0)
    if scl == 1.0 and off == 0.0:
        return lambda x: x
    return lambda x: off + scl * x


def _sum(own: bool, r0: float | None, *sums: np.ndarray | None) -> Any:
    """``r0 + r1 (+ r2)`` left to right over the non-None terms (None when all are None).

    ``own``: the sums are arrays of the polynomial's own, of one shape; the first
    takes the others in place (x + y == y + x exactly, so the order of the
    additions is astropy's).
    """
    total: Any = None
    for term in sums:
        if term is None:
            continue
        if total is None:
            total = term if not own or r0 is None else np.add(term, r0, out=term)
            total = total if own or r0 is None else r0 + total
        elif own:
            total += term
        else:
            total = total + term
    return r0 if total is None else total
