"""The regularised normal matrix of a one-order SOSS ATOCA fit, for each integration's errors.

The order 2 blue and order 3 fits (:func:`~.soss_atoca_fits.single_fits`)
solve ``(BᵀB + t² DᵀD) f = Bᵀb`` for every integration, with ``BᵀB =
Rᵀ diag(w) R`` (:meth:`~.soss_atoca_model.LinearModel.normal`): ``R`` the
model's (column x node) matrix, fixed, and ``w`` the column sums of
``P² / σ²`` of that integration.  SciPy forms it by two sparse products, a
sparse sum and an index sort per integration; here the products' terms are
listed once (pattern, order of summation), and each integration's matrix is
their sum on that pattern: entry ``(k, l)`` is ``Σ_x R[x, l] (w[x] R[x, k])``
summed over the columns ``x`` in increasing order, as SciPy's product sums
it, plus ``t² DᵀD[k, l]``, so the matrices, and the solutions, are bit for
bit those of :class:`~.soss_atoca_tikho.Tikhonov`.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .soss_atoca_model import LinearModel
from .soss_atoca_tikho import solve_sparse

__all__ = ["OneOrderSystem"]


class OneOrderSystem:
    """``BᵀB + t² DᵀD`` of a one-order :class:`LinearModel` for any error image.

    Parameters
    ----------
    model : the order's model (one order, its pixel mask).
    penalty2 : (K, K) ``DᵀD`` on the model's grid.
    factor : the Tikhonov factor ``t``.
    """

    def __init__(self, model: LinearModel, penalty2: sparse.csc_matrix, factor: float) -> None:
        r_n = sparse.csr_matrix(model.columns[0])
        r_n.sort_indices()
        size = r_n.shape[1]
        per_column = np.diff(r_n.indptr)
        # every product term R[x, k] R[x, l], columns x in increasing order
        squares = per_column**2
        x = np.repeat(np.arange(r_n.shape[0]), squares)
        starts = np.repeat(r_n.indptr[:-1], squares)
        widths = np.repeat(np.maximum(per_column, 1), squares)
        within = np.arange(x.size) - np.repeat(np.cumsum(squares) - squares, squares)
        k_at, l_at = starts + within // widths, starts + within % widths
        rows, cols = r_n.indices[k_at], r_n.indices[l_at]
        terms = sparse.csc_matrix((np.ones(x.size), (rows, cols)), shape=(size, size))
        pattern = sparse.csc_matrix(abs(terms) + abs(penalty2))
        pattern.sort_indices()
        flat = pattern.indices.astype(np.int64) + size * np.repeat(
            np.arange(size, dtype=np.int64), np.diff(pattern.indptr)
        )
        self.pattern = pattern
        self.position = np.searchsorted(flat, rows.astype(np.int64) + size * cols)
        self.x, self.left, self.right = x, r_n.data[k_at], r_n.data[l_at]
        penalty = sparse.csc_matrix(penalty2)
        penalty.sort_indices()
        keys = penalty.indices.astype(np.int64) + size * np.repeat(
            np.arange(size, dtype=np.int64), np.diff(penalty.indptr)
        )
        self.penalty = np.zeros(pattern.nnz)
        self.penalty[np.searchsorted(flat, keys)] = factor**2 * penalty.data
        self.model = model

    def matrix(self, error: np.ndarray) -> sparse.csc_matrix:
        """(K, K) ``BᵀB + t² DᵀD`` for the (y, x) ``error`` (0 entries left out)."""
        flat, cols, _ = self.model._fitted
        inv = 1.0 / error.ravel()[flat] ** 2
        prof = self.model.profiles[0].ravel()[flat]
        w = np.bincount(cols, prof * prof * inv, minlength=self.model.mask.shape[1])
        data = np.zeros(self.pattern.nnz)
        np.add.at(data, self.position, self.right * (w[self.x] * self.left))
        data += self.penalty
        indices, indptr = self.pattern.indices.copy(), self.pattern.indptr.copy()
        out = sparse.csc_matrix((data, indices, indptr), shape=self.pattern.shape)
        out.has_sorted_indices = True
        return out

    def solve(self, error: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """The solution for the errors ``error`` and ``rhs = Bᵀ(d/σ²)`` (NaN on nodes no fitted
        pixel sees), by a sparse LU (least squares if singular) as :class:`Tikhonov`."""
        from scipy.sparse.linalg import splu

        idx = rhs != 0
        matrix = self.matrix(error)
        if not idx.all():
            matrix = sparse.csc_matrix(matrix[idx][:, idx])
        matrix.eliminate_zeros()
        out = np.full(rhs.size, np.nan)
        try:
            out[idx] = splu(matrix).solve(rhs[idx])
        except RuntimeError:  # exactly singular
            out[idx] = solve_sparse(matrix, rhs[idx])
        return out
