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
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if not inverse:
            out = sci / flat
            var_flat = out**2 / flat2 * flat_err**2
            vp = np.asarray(var_poisson, np.float32) / flat2
            vr = np.asarray(var_rnoise, np.float32) / flat2
            err = np.sqrt(vp + vr + var_flat)
        else:
            out = sci * flat
            var_flat = np.zeros(np.broadcast_shapes(out.shape, flat.shape), np.float32)
            vp = np.asarray(var_poisson, np.float32) * flat2
            vr = np.asarray(var_rnoise, np.float32) * flat2
            err = np.sqrt(vp + vr)
    out_dq = np.bitwise_or(np.asarray(dq, DQ_DTYPE), np.asarray(flat_dq, DQ_DTYPE))
    shape = out_dq.shape
    return (
        np.broadcast_to(out, shape).astype(np.float32),
        np.broadcast_to(err, shape).astype(np.float32),
        out_dq,
        np.broadcast_to(vp, shape).astype(np.float32),
        np.broadcast_to(vr, shape).astype(np.float32),
        np.broadcast_to(var_flat, shape).astype(np.float32),
    )
