"""Tikhonov regularisation of SOSS ATOCA and jwst 3.0.0's choice of its factor.

The fit minimises ``|B f - d/σ|² + t² |D f|²`` with ``D`` the first
derivative on the wavelength grid (``(f[k+1] - f[k]) / (λ[k+1] - λ[k])``),
solved on the grid nodes some fitted pixel sees.  jwst chooses ``t``
(``soss_tikfac`` None) by:

1. a first guess ``sqrt(n pixels / |D e|²)`` with ``e`` a flux estimate;
2. ten factors log-spaced over ``[-4, 4]`` decades about it (``[-2, 8]``
   about the order 1 factor for the separate order 2 blue and order 3 fits);
3. for each, the Cauchy loss ``mean(log(1 + r²))`` of the residuals ``r``;
4. a modified-Akima spline of that loss against ``log10 t``, sampled at
   10000 points: the smallest ``t`` where its derivative exceeds 1e-3
   (the largest ``t`` tried if none does);
5. three times: two more factors around the nearest one tried (halfway in
   log, or beyond the end), then step 4 again.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from scipy import sparse

__all__ = [
    "Tikhonov",
    "best_factor",
    "first_difference",
    "penalty_matrix",
    "search_factor",
    "solve_sparse",
]

_THRESHOLD = 1e-3
_SAMPLES = 10000
#: Above any finite Cauchy loss: ``log1p`` of the largest float64 is 709.78.
_LOSS_MAX = 710.0


def first_difference(grid: np.ndarray) -> sparse.csr_matrix:
    """(K - 1, K) first derivative on ``grid`` (jwst's ``finite_first_d``)."""
    n = grid.size
    diff = sparse.diags([-1.0], shape=(n - 1, n)) + sparse.diags([1.0], 1, shape=(n - 1, n))
    return (sparse.diags(1.0 / np.diff(grid)) @ diff).tocsr()


def penalty_matrix(grid: np.ndarray) -> sparse.csc_matrix:
    """``DᵀD`` of the first derivative ``D`` on ``grid`` (the Tikhonov term's matrix)."""
    penalty = first_difference(grid)
    return (penalty.T @ penalty).tocsc()


def solve_sparse(matrix: sparse.spmatrix, rhs: np.ndarray) -> np.ndarray:
    """``matrix⁻¹ rhs`` by a sparse LU; least squares (LSQR) if singular, as jwst."""
    from scipy.sparse.linalg import MatrixRankWarning, lsqr, spsolve

    with warnings.catch_warnings():
        warnings.simplefilter("error", MatrixRankWarning)
        try:
            return np.asarray(spsolve(sparse.csc_matrix(matrix), rhs))
        except MatrixRankWarning:
            return np.asarray(lsqr(matrix, rhs)[0])


def _values_on(pattern: sparse.csc_matrix, matrix: sparse.csc_matrix) -> np.ndarray:
    """``matrix``'s values at the entries of ``pattern`` (0 where it has none); both
    canonical, ``matrix``'s entries among ``pattern``'s."""
    n = pattern.shape[0]
    cols = np.repeat(np.arange(pattern.shape[1]), np.diff(pattern.indptr))
    keys = cols * n + pattern.indices
    coo = matrix.tocoo()
    out = np.zeros(pattern.nnz)
    out[np.searchsorted(keys, coo.col.astype(np.int64) * n + coo.row)] = coo.data
    return out


class _Pencil:
    """``normal + t² penalty2`` for any ``t``, solved as :func:`solve_sparse` solves it.

    The matrices share one sparsity pattern whatever ``t`` (but for an entry
    summing to exactly 0), and SuperLU's column ordering (COLAMD, then the
    postorder of the elimination tree) depends on the pattern alone.  The
    first solve finds it (``splu``); from the second on, the columns are in
    that order, the matrix's values are summed on the fixed pattern, and
    SuperLU factorises it in its natural order (which the postorder then
    keeps): the same factors, so the same solutions, bit for bit, without the
    ordering, the sparse sum and the sort of each solve.  A matrix with an
    entry summing to 0, or exactly singular, is solved by :func:`solve_sparse`.
    """

    def __init__(self, normal: sparse.csc_matrix, penalty2: sparse.csc_matrix) -> None:
        self.normal, self.penalty2 = normal, penalty2
        self.first: tuple[np.ndarray, int] | None = None
        self.fixed: tuple[np.ndarray, sparse.csc_matrix, np.ndarray, np.ndarray] | None = None
        self.tried = False

    def _matrix(self, factor: float) -> sparse.csc_matrix:
        return sparse.csc_matrix(self.normal + factor**2 * self.penalty2)

    def _reorder(self, perm_c: np.ndarray, nnz: int) -> None:
        """The pattern in the order SuperLU chose for a matrix of ``nnz`` entries, if
        that matrix had every entry of the pattern (else solves stay as they were)."""
        self.tried = True
        order = np.argsort(perm_c)
        normal = sparse.csc_matrix(self.normal[:, order])
        penalty2 = sparse.csc_matrix(self.penalty2[:, order])
        pattern = sparse.csc_matrix(abs(normal) + abs(penalty2))
        if pattern.nnz == nnz:
            pattern.sort_indices()
            self.fixed = (
                order,
                pattern,
                _values_on(pattern, normal),
                _values_on(pattern, penalty2),
            )

    def _ordered(self, factor: float, rhs: np.ndarray) -> np.ndarray | None:
        """The solve on the fixed pattern (None if an entry sums to 0 or it is singular)."""
        from scipy.sparse.linalg import MatrixRankWarning, spsolve

        assert self.fixed is not None
        order, pattern, normal, penalty2 = self.fixed
        data = normal + factor**2 * penalty2
        if not data.all():
            return None
        matrix = sparse.csc_matrix((data, pattern.indices, pattern.indptr), shape=pattern.shape)
        matrix.has_sorted_indices = True
        with warnings.catch_warnings():
            warnings.simplefilter("error", MatrixRankWarning)
            try:
                solution = spsolve(matrix, rhs, permc_spec="NATURAL")
            except MatrixRankWarning:
                return None
        out = np.empty(rhs.size)
        out[order] = solution
        return out

    def solve(self, factor: float, rhs: np.ndarray) -> np.ndarray:
        """``(normal + factor² penalty2)⁻¹ rhs``."""
        from scipy.sparse.linalg import splu

        if self.first is not None and not self.tried:
            self._reorder(*self.first)
        if self.fixed is not None:
            out = self._ordered(factor, rhs)
            return solve_sparse(self._matrix(factor), rhs) if out is None else out
        matrix = self._matrix(factor)
        if self.first is not None:  # the ordering could not be kept
            return solve_sparse(matrix, rhs)
        try:
            lu = splu(matrix)
        except RuntimeError:  # exactly singular
            return solve_sparse(matrix, rhs)
        self.first = (lu.perm_c, matrix.nnz)
        return np.asarray(lu.solve(rhs))


class Tikhonov:
    """A regularised least-squares problem ``B f ≈ b`` with the derivative penalty.

    Parameters
    ----------
    normal : (K, K) ``BᵀB``.
    rhs : (K,) ``Bᵀb``.
    grid : (K,) wavelength nodes (µm).
    residual : ``f -> B f - b`` (the fitted pixels' residuals), for :meth:`loss`.
    penalty2 : ``DᵀD`` on ``grid`` if already made (:func:`penalty_matrix`).
    """

    def __init__(
        self,
        normal: sparse.csc_matrix,
        rhs: np.ndarray,
        grid: np.ndarray,
        residual: Callable[[np.ndarray], np.ndarray] | None = None,
        penalty2: sparse.csc_matrix | None = None,
    ) -> None:
        self.normal, self.rhs, self.residual = normal, rhs, residual
        self.penalty2 = penalty_matrix(grid) if penalty2 is None else penalty2
        self.valid = self.rhs != 0
        self._pencil: _Pencil | None = None

    def solve(self, factor: float) -> np.ndarray:
        """The solution for ``factor`` (NaN on nodes no fitted pixel sees)."""
        idx = self.valid
        if self._pencil is None:
            self._pencil = _Pencil(self.normal[idx][:, idx], self.penalty2[idx][:, idx])
        out = np.full(self.rhs.size, np.nan)
        out[idx] = self._pencil.solve(factor, self.rhs[idx])
        return out

    def loss(self, factors: np.ndarray) -> np.ndarray:
        """Cauchy loss ``mean(log(1 + r²))`` of the residuals for each factor."""
        assert self.residual is not None
        out = []
        for factor in factors:
            resid = self.residual(np.nan_to_num(self.solve(factor)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out.append(np.nanmean(np.log1p(resid**2)))
        return np.array(out)


def _slopes(logx: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 10000 samples between the first and last ``logx`` and the loss spline's
    derivative there (modified Akima, or a spline of lower degree under 4 points)."""
    from scipy.interpolate import Akima1DInterpolator, UnivariateSpline

    degree = min(3, logx.size - 1)
    if degree >= 3:
        spline = Akima1DInterpolator(logx, y, method="makima")
    else:
        spline = UnivariateSpline(logx, y, k=degree, s=0)
    fine = np.linspace(logx[0], logx[-1], _SAMPLES)
    return fine, spline.derivative()(fine)


def best_factor(factors: np.ndarray, loss: np.ndarray) -> float:
    """The smallest factor where d loss / d log10(factor) exceeds 1e-3 (jwst's ``d_chi2``)."""
    ok = np.isfinite(loss)
    order = np.argsort(factors[ok])
    logx, y = np.log10(factors[ok][order]), loss[ok][order]
    fine, slope = _slopes(logx, y)
    if np.any(slope > _THRESHOLD):
        return float(10 ** fine[slope > _THRESHOLD].min())
    return float(10 ** logx[-1])


def _weights_clear(logx: np.ndarray, y: np.ndarray, known: int) -> bool:
    """Whether the first ``known - 2`` breakpoints' slope weights (makima's ``f1 + f2``)
    exceed 1e-9 of the largest whatever the losses not known: ten times over a
    bound of that largest from the losses' range (:data:`_LOSS_MAX`)."""
    m = np.diff(y) / np.diff(logx)
    m = np.concatenate([[3 * m[0] - 2 * m[1], 2 * m[0] - m[1]], m])
    dm, pm = np.abs(np.diff(m)), np.abs(m[1:] + m[:-1])
    f12 = (dm[2:] + 0.5 * pm[2:]) + (dm[:-2] + 0.5 * pm[:-2])
    largest = 50.0 * _LOSS_MAX / np.diff(logx).min()
    return bool(np.all(f12[: known - 2] > 1e-8 * largest))


def _settled(factors: np.ndarray, loss: np.ndarray, known: np.ndarray) -> float | None:
    """:func:`best_factor` of ``loss`` if the losses not ``known`` cannot change it, else None.

    The modified-Akima spline is local: on the interval after the ``i``-th
    smallest factor its derivative depends on the losses at factors ``i - 2 ...
    i + 3`` only, but for the test of each breakpoint's weights against the
    largest (:func:`_weights_clear`).  With the ``u`` smallest factors' losses
    known (at least 4, all finite) and the largest factor's (finite: it sets
    the samples' range), a sample before the ``(u - 3)``-th factor where the
    slope exceeds the threshold is the one every value of the others gives.
    """
    order = np.argsort(factors)
    logx, y, have = np.log10(factors[order]), loss[order], known[order]
    u = int(np.argmin(have)) if not have.all() else have.size
    if u < 4 or not have[-1] or not np.isfinite(y[have]).all():
        return None
    y = np.where(have, y, y[0])  # any loss in range
    if not _weights_clear(logx, y, u):
        return None
    fine, slope = _slopes(logx, y)
    over = fine[(slope > _THRESHOLD) & (fine < logx[u - 3])]
    return float(10 ** over[0]) if over.size else None


def _lazy_best(
    problem: Tikhonov, factors: np.ndarray, loss: np.ndarray, known: np.ndarray
) -> float:
    """:func:`best_factor` of ``problem``'s losses at ``factors``, computing only those that
    can change it (into ``loss`` and ``known``, in place): the smallest first, then the
    largest, then upwards until :func:`_settled` answers."""
    order = np.argsort(factors)
    while not known.all():
        settled = _settled(factors, loss, known)
        if settled is not None:
            return settled
        todo = order[~known[order]]
        leading = int(np.argmin(known[order]))
        i = order[-1] if leading >= 4 and not known[order[-1]] else todo[0]
        loss[i] = problem.loss(factors[i : i + 1])[0]
        known[i] = True
    return best_factor(factors, loss)


def _two_more(factors: np.ndarray, best: float) -> np.ndarray:
    f = np.sort(factors)
    j = int(np.argmin(np.abs(np.log(f) - np.log(best))))
    if j == 0:
        return np.array([f[0] ** 2 / f[1], np.sqrt(f[0] * f[1])])
    if j == f.size - 1:
        return np.array([np.sqrt(f[-1] * f[-2]), f[-1] ** 2 / f[-2]])
    return np.array([np.sqrt(f[j] * f[j - 1]), np.sqrt(f[j] * f[j + 1])])


def search_factor(
    problem: Tikhonov, guess: float, log_range: tuple[float, float], refine: int = 3
) -> float:
    """jwst's choice of the factor: the coarse grid about ``guess``, then ``refine`` refinements.

    The losses that cannot change the choice are not computed (:func:`_lazy_best`):
    where the loss rises from the smallest factors on, most of the coarse grid's
    factors above the rise.
    """
    factors = np.logspace(np.log10(guess) + log_range[0], np.log10(guess) + log_range[1], 10)
    loss, known = np.full(factors.size, np.nan), np.zeros(factors.size, dtype=bool)
    best = _lazy_best(problem, factors, loss, known)
    for _ in range(refine):
        factors = np.concatenate([factors, _two_more(factors, best)])
        loss, known = np.append(loss, [np.nan, np.nan]), np.append(known, [False, False])
        best = _lazy_best(problem, factors, loss, known)
    return best
