"""NumPy kernels of ``flat_field`` for a single flat image (every mode but NIRSpec spectra).

The arithmetic is jwst 3.0.0's ``apply_flat_field``, in float32 like jwst:

* a flat pixel that is NaN or zero gains ``DO_NOT_USE | NO_FLAT_FIELD``; one
  flagged ``NO_FLAT_FIELD`` gains ``DO_NOT_USE``; every ``DO_NOT_USE`` flat
  pixel is reset to 1 (no correction);
* ``sci' = sci / f``; ``var_flat = sci'**2 / f**2 * ferr**2`` (the *divided*
  science, so ``sci**2 ferr**2 / f**4``); ``var_poisson`` and ``var_rnoise``
  are divided by ``f**2``; ``err = sqrt(var_poisson + var_rnoise + var_flat)``;
* ``inverse``: ``sci' = sci * f``, ``var_flat = 0``, variances times ``f**2``,
  ``err = sqrt(var_poisson + var_rnoise)``;
* the flat DQ is OR-ed into the science DQ.
"""

from __future__ import annotations

import numpy as np

from ..dq import DQ, DQ_DTYPE

__all__ = ["apply_flat", "prepare_flat"]

_BAD = DQ_DTYPE(DQ.DO_NOT_USE | DQ.NO_FLAT_FIELD)


def prepare_flat(flat: np.ndarray, flat_dq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flag unusable flat pixels and neutralise them.

    Returns
    -------
    flat (float32, 1 where DO_NOT_USE) and its DQ (uint32) with the bad-flat flags added.
    """
    flat = np.array(flat, np.float32)
    dq = np.array(flat_dq, DQ_DTYPE)
    dq[np.isnan(flat) | (flat == 0.0)] |= _BAD
    dq[(dq & DQ_DTYPE(DQ.NO_FLAT_FIELD)) != 0] |= DQ_DTYPE(DQ.DO_NOT_USE)
    flat[(dq & DQ_DTYPE(DQ.DO_NOT_USE)) != 0] = 1.0
    return flat, dq


def apply_flat(
    sci: np.ndarray,
    var_poisson: np.ndarray,
    var_rnoise: np.ndarray,
    dq: np.ndarray,
    flat: np.ndarray,
    flat_err: np.ndarray,
    flat_dq: np.ndarray,
    *,
    inverse: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Divide (or multiply) by a prepared flat and propagate the variances.

    Parameters
    ----------
    sci, var_poisson, var_rnoise, dq : science arrays (..., ny, nx).
    flat, flat_err, flat_dq : the flat from :func:`prepare_flat` and its
        error, broadcastable to the science arrays.
    inverse : multiply instead of divide (undo a flat field).

    Returns
    -------
    sci, err, dq, var_poisson, var_rnoise, var_flat (float32; dq uint32).
    """
    flat = np.asarray(flat, np.float32)
    flat_err = np.asarray(flat_err, np.float32)
    flat2 = flat * flat
    sci = np.asarray(sci, np.float32)
    var_poisson = np.asarray(var_poisson, np.float32)
    var_rnoise = np.asarray(var_rnoise, np.float32)
    out_dq = np.bitwise_or(np.asarray(dq, DQ_DTYPE), np.asarray(flat_dq, DQ_DTYPE))
    shape = np.broadcast_shapes(
        out_dq.shape, sci.shape, var_poisson.shape, var_rnoise.shape, flat.shape, flat_err.shape
    )
    # Each result is written once into its own full-size float32 array (the
    # same float32 operations, without temporaries or final copies).
    out, err, vp, vr, var_flat = (np.empty(shape, np.float32) for _ in range(5))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if not inverse:
            np.divide(sci, flat, out=out)
            np.square(out, out=var_flat)
            np.divide(var_flat, flat2, out=var_flat)
            np.multiply(var_flat, flat_err * flat_err, out=var_flat)
            np.divide(var_poisson, flat2, out=vp)
            np.divide(var_rnoise, flat2, out=vr)
            np.add(vp, vr, out=err)
            np.add(err, var_flat, out=err)
        else:
            np.multiply(sci, flat, out=out)
            var_flat[...] = 0.0
            np.multiply(var_poisson, flat2, out=vp)
            np.multiply(var_rnoise, flat2, out=vr)
            np.add(vp, vr, out=err)
        np.sqrt(err, out=err)
    if out_dq.shape != shape:
        out_dq = np.broadcast_to(out_dq, shape).copy()
    return out, err, out_dq, vp, vr, var_flat
