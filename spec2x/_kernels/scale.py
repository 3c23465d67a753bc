"""Scale pixel data by a correction and propagate the variances (NumPy only).

Every step that multiplies or divides the science data by a reference-derived
correction goes through :func:`scale`, which follows jwst 3.0.0's rules:

================  =========  ========  ====================================  ===========
jwst step         operation  compute   err, var_flat                         NaN / DQ
================  =========  ========  ====================================  ===========
flat_field        divide     float32   ``var_flat`` from the flat error;     match
(one flat:                             ``err`` recomputed; inverse:
``factor_var``;                        ``var_flat = 0``
NIRSpec f*s*d:
``factor_err``)
photom            multiply   float64   scaled: ``err*f``, ``var*f**2``       match
pathloss          divide     float32   scaled                                match
(MIRI LRS:
multiply)
barshadow         divide     float32   scaled                                none
fringe            divide     float32   scaled                                none
================  =========  ========  ====================================  ===========

The compute precision is that of NumPy's in-place ``data /= factor`` in jwst:
float64 when ``factor`` is float64 (photom), float32 when it is float32; the
outputs keep the dtype of each input array.  Preparing the factor stays with
the step: the flat resets unusable pixels to 1 and flags them
(``factor_dq``); photom sets 0 and ``DO_NOT_USE`` where the wavelength lies
outside the response; pathloss and barshadow leave NaN, which NaN-matching
then flags (barshadow does not match NaNs in jwst: ``match_nans=False``);
fringe replaces NaN by 1 and ORs no DQ.  jwst's fringe step multiplies the
variances by the float32 reciprocal ``1/f**2`` where this kernel divides by
``f**2`` (at most one float32 ulp apart).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ..dq import DQ, DQ_DTYPE

__all__ = ["match_nans_and_flags", "scale", "scale_where_finite"]

_DNU = DQ_DTYPE(DQ.DO_NOT_USE)

Operation = Literal["multiply", "divide"]


def scale(
    sci: np.ndarray,
    err: np.ndarray,
    dq: np.ndarray,
    var_poisson: np.ndarray,
    var_rnoise: np.ndarray,
    var_flat: np.ndarray | None,
    factor: np.ndarray,
    *,
    operation: Operation = "multiply",
    factor_var: np.ndarray | None = None,
    factor_err: np.ndarray | None = None,
    factor_dq: np.ndarray | None = None,
    where: np.ndarray | None = None,
    match_nans: bool = True,
    overwrite: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Multiply or divide the pixel arrays by ``factor``; propagate the variances.

    Parameters
    ----------
    sci, err : data and its error (any unit), shape (..., ny, nx).
    dq : data quality (uint32).
    var_poisson, var_rnoise : variances (unit squared).
    var_flat : flat-field variance, or None when the data have none.
    factor : the correction (dimensionless), broadcastable to ``sci``.
    operation : ``"multiply"`` or ``"divide"``.
    factor_var : variance of ``factor``.  When given (a flat field), ``var_flat``
        is set from it and ``err`` is recomputed as the root of the summed
        variances; when dividing ``var_flat = (sci' / f)**2 * factor_var``
        (``sci'`` the corrected data), when multiplying (undoing the flat)
        ``var_flat = 0``.  When None, ``err`` and ``var_flat`` are scaled like
        the other variances.
    factor_err : the factor's error instead of its variance, for jwst's NIRSpec
        flat, which computes ``var_flat = (sci' / f * factor_err)**2`` (the
        same value, rounded differently in float32; give one or the other).
    factor_dq : DQ bits OR-ed into ``dq`` (broadcastable).
    where : bool, broadcastable; where False the inputs pass unchanged (no
        correction, no NaN matching).
    match_nans : make NaN and ``DO_NOT_USE`` agree afterwards
        (:func:`match_nans_and_flags`).
    overwrite : write each result into its input array where that is a
        writeable NumPy array of the result's shape and dtype (the caller owns
        the inputs; the numbers are the same).  Not with ``where``.

    Returns
    -------
    sci, err, dq, var_poisson, var_rnoise, var_flat: arrays of the input
    dtypes, new or (``overwrite``) the inputs themselves (``var_flat`` None if
    it was None and no factor error is given).

    Notes
    -----
    With :math:`\\circ` the operation and :math:`f` the factor:

    .. math::

        s' = s \\circ f, \\quad V' = V \\circ f^2, \\quad
        \\sigma' = \\sigma \\circ f \\;\\text{or}\\;
        \\sqrt{V_p' + V_r' + V_{flat}'},\\quad
        V_{flat}' = \\frac{s'^2}{f^2}\\,\\sigma_f^2 \\;(\\text{divide, with } \\sigma_f^2)
    """
    op = _operation(operation)
    if factor_var is not None and factor_err is not None:
        raise ValueError("give factor_var or factor_err, not both")
    if overwrite and where is not None:
        raise ValueError("overwrite needs the old values gone everywhere: no `where`")
    factor = np.asarray(factor)
    ctype = np.result_type(factor.dtype, np.float32)
    sci = np.asarray(sci)
    arrays = [sci, err, dq, var_poisson, var_rnoise] + ([] if var_flat is None else [var_flat])
    shape = np.broadcast_shapes(factor.shape, *(np.shape(a) for a in arrays))
    if factor_dq is not None:
        shape = np.broadcast_shapes(shape, np.shape(factor_dq))
    out_dq = _target(dq, sci, shape, np.dtype(DQ_DTYPE), overwrite)
    np.bitwise_or(dq, 0 if factor_dq is None else factor_dq, out=out_dq, casting="unsafe")
    factor2 = factor * factor
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        new_sci = _apply(op, sci, factor, sci, shape, ctype, overwrite)
        vp = _apply(op, var_poisson, factor2, sci, shape, ctype, overwrite)
        vr = _apply(op, var_rnoise, factor2, sci, shape, ctype, overwrite)
        if factor_var is None and factor_err is None:
            new_err = _apply(op, err, factor, sci, shape, ctype, overwrite)
            vf = (
                None
                if var_flat is None
                else _apply(op, var_flat, factor2, sci, shape, ctype, overwrite)
            )
        else:
            vf_dtype = sci.dtype if var_flat is None else np.asarray(var_flat).dtype
            vf = _target(var_flat, sci, shape, vf_dtype, overwrite)
            if operation == "divide":
                _flat_variance(vf, new_sci, factor, factor2, factor_var, factor_err, ctype)
            else:
                vf[...] = 0.0  # undoing a flat removes its variance (jwst)
            new_err = _target(err, sci, shape, np.asarray(err).dtype, overwrite)
            np.add(vp, vr, out=new_err, casting="unsafe")
            np.add(new_err, vf, out=new_err, casting="unsafe")  # + 0 when undoing: exact
            np.sqrt(new_err, out=new_err)
    variances = [vp, vr] + ([] if vf is None else [vf])
    if match_nans:
        _match_in_place(new_sci, new_err, out_dq, *variances)
    if where is not None:
        olds = [sci, err, dq, var_poisson, var_rnoise] + ([] if vf is None else [var_flat])
        _restore(np.logical_not(where), olds, [new_sci, new_err, out_dq, *variances])
    return new_sci, new_err, out_dq, vp, vr, vf


def scale_where_finite(
    sci: np.ndarray,
    err: np.ndarray,
    dq: np.ndarray,
    var_poisson: np.ndarray,
    var_rnoise: np.ndarray,
    var_flat: np.ndarray | None,
    factor: np.ndarray,
    *,
    operation: Operation = "multiply",
    factor_var: np.ndarray | None = None,
    factor_err: np.ndarray | None = None,
    factor_dq: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`scale` with NaN matching, computed only where ``factor`` is finite.

    Every array (``factor`` and the optional factor arrays included) has the
    shape of ``sci``.  Where the factor is NaN or infinite :func:`scale` gives
    NaN in ``sci``, ``err`` and every variance and ``dq | factor_dq |
    DO_NOT_USE``; those pixels are filled so here and the arithmetic runs on
    the others only (the NIRSpec IFU flat is finite on a tenth of the frame).
    The results are :func:`scale`'s, bit for bit.
    """
    factor = np.asarray(factor)
    sci = np.asarray(sci)
    at = np.flatnonzero(np.isfinite(factor))

    def pick(a: Any) -> Any:
        return None if a is None else np.asarray(a).reshape(-1)[at]

    new_sci, new_err, new_dq, vp, vr, vf = scale(
        pick(sci),
        pick(err),
        pick(dq),
        pick(var_poisson),
        pick(var_rnoise),
        pick(var_flat),
        pick(factor),
        operation=operation,
        factor_var=pick(factor_var),
        factor_err=pick(factor_err),
        factor_dq=pick(factor_dq),
    )
    flags = _DNU if factor_dq is None else factor_dq | _DNU
    out_dq = np.bitwise_or(dq, flags, dtype=DQ_DTYPE, casting="unsafe")
    out_dq.reshape(-1)[at] = new_dq

    def spread(part: np.ndarray) -> np.ndarray:
        out = np.full(sci.shape, np.nan, part.dtype)
        out.reshape(-1)[at] = part
        return out

    return (
        spread(new_sci),
        spread(new_err),
        out_dq,
        spread(vp),
        spread(vr),
        None if vf is None else spread(vf),
    )


def _restore(keep: np.ndarray, olds: list[np.ndarray | None], news: list[np.ndarray]) -> None:
    """Put the old values back where ``keep`` (no correction there)."""
    for old, new in zip(olds, news, strict=True):
        if old is not None:
            np.copyto(new, old, where=keep, casting="unsafe")


def _operation(operation: str) -> np.ufunc:
    if operation == "multiply":
        return np.multiply
    if operation == "divide":
        return np.divide
    raise ValueError(f"operation must be 'multiply' or 'divide', not {operation!r}")


def _empty(like: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A new array of ``shape``, laid out in memory as ``like`` when it has that shape.

    Slits products often have integration as the fastest axis; outputs in the
    same order keep every ufunc pass contiguous.
    """
    if like.shape == shape:
        return np.empty_like(like, dtype=dtype)
    return np.empty(shape, dtype)


def _target(
    a: Any, like: np.ndarray, shape: tuple[int, ...], dtype: np.dtype, overwrite: bool
) -> np.ndarray:
    """``a`` itself when ``overwrite`` and it can hold the result, else a new array."""
    if (
        overwrite
        and isinstance(a, np.ndarray)
        and a.shape == shape
        and a.dtype == dtype
        and a.flags.writeable
    ):
        return a
    return _empty(like, shape, dtype)


def _apply(
    op: np.ufunc,
    a: np.ndarray,
    f: np.ndarray,
    like: np.ndarray,
    shape: tuple[int, ...],
    ctype: np.dtype,
    overwrite: bool = False,
) -> np.ndarray:
    """``a op f`` computed in ``ctype`` into one array of ``a``'s dtype (no temporaries):
    a new one, or ``a`` itself when ``overwrite`` and it can hold the result."""
    a = np.asarray(a)
    out = _target(a, like, shape, a.dtype, overwrite)
    op(a, f, out=out, dtype=ctype, casting="unsafe")
    return out


def _flat_variance(
    vf: np.ndarray,
    new_sci: np.ndarray,
    factor: np.ndarray,
    factor2: np.ndarray,
    factor_var: np.ndarray | None,
    factor_err: np.ndarray | None,
    ctype: np.dtype,
) -> None:
    """Fill ``vf`` with jwst's ``sci'**2 / f**2 * var_f``, or ``(sci' / f * err_f)**2``."""
    kw: dict[str, Any] = {"out": vf, "dtype": ctype, "casting": "unsafe"}
    if factor_var is not None:
        np.square(new_sci, **kw)
        np.divide(vf, factor2, **kw)
        np.multiply(vf, factor_var, **kw)
    elif factor_err is not None:
        np.divide(new_sci, factor, **kw)
        np.multiply(vf, factor_err, **kw)
        np.square(vf, **kw)


def _match_in_place(
    sci: np.ndarray, err: np.ndarray, dq: np.ndarray, *variances: np.ndarray
) -> None:
    # into one scratch array: no cube-sized temporaries (fresh memory costs its page faults)
    invalid = np.isnan(sci)
    scratch = np.empty_like(invalid)
    for a in (err, *variances):
        invalid |= np.isnan(a, out=scratch)
    invalid |= np.bitwise_and(dq, _DNU, out=scratch, casting="unsafe")  # bit set -> True
    # ufuncs with ``where=`` walk memory in order (boolean indexing would not)
    np.bitwise_or(dq, _DNU, out=dq, where=invalid)
    for a in (sci, err, *variances):
        np.copyto(a, a.dtype.type(np.nan), where=invalid)


def match_nans_and_flags(
    sci: np.ndarray, err: np.ndarray, dq: np.ndarray, *variances: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Make NaN and ``DO_NOT_USE`` agree, as jwst's ``match_nans_and_flags`` does.

    A pixel that is NaN in ``sci``, ``err`` or any variance, or flagged
    ``DO_NOT_USE`` in ``dq``, becomes NaN in all of them and gains
    ``DO_NOT_USE``.  Arrays must share one shape.

    Returns
    -------
    ``(sci, err, dq, *variances)`` as new arrays of the input dtypes.
    """
    out = [np.array(a) for a in (sci, err, dq, *variances)]
    out[2] = out[2].astype(DQ_DTYPE, copy=False)
    _match_in_place(out[0], out[1], out[2], *out[3:])
    return tuple(out)
