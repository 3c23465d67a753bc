"""NumPy kernel of ``flat_field`` for a single flat image (every mode but NIRSpec spectra).

As jwst 3.0.0's ``apply_flat_field``: a flat pixel that is NaN or zero gains
``DO_NOT_USE | NO_FLAT_FIELD``; one flagged ``NO_FLAT_FIELD`` gains
``DO_NOT_USE``; every ``DO_NOT_USE`` flat pixel is reset to 1 (no
correction).  Dividing by the prepared flat and propagating its error into
``var_flat`` is :func:`spec2x._kernels.scale.scale` (``factor_var``).
"""

from __future__ import annotations

import numpy as np

from ..dq import DQ, DQ_DTYPE

__all__ = ["prepare_flat"]

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
