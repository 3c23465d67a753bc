"""The sum of two sparse matrices as SciPy makes it, written into the first's arrays.

The joint ATOCA fit sums (K x K) matrices of tens of millions of entries
(the normal matrix's parts, then the Tikhonov term).  SciPy's ``a + b``
allocates a third matrix while both are held.  Where ``b``'s entries are
among ``a``'s, :func:`add_into` writes the same sum into ``a``'s arrays
instead: the same entries in the same order, the same values.  SciPy
(``csr_binop_csr``) sums ``a_ij + b_ij`` (a missing entry read as 0), drops
the sums equal to 0, and keeps each column's entries in ``a``'s order when
both matrices have their indices sorted, in the reverse of ``a``'s order
otherwise (its linked list of the column's entries, ``a``'s first).  The
order matters: SuperLU's factors follow it.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["add_into"]

#: Work arrays of the position search: about this many (column, row) cells at a time.
_CELLS = 1 << 21


def _columns(indptr: np.ndarray, c0: int, c1: int) -> np.ndarray:
    """The column (from ``c0``) of each entry of the columns ``c0 ... c1 - 1`` (int32)."""
    return np.repeat(np.arange(c1 - c0, dtype=np.int32), np.diff(indptr[c0 : c1 + 1]))


def _positions(a: sparse.csc_matrix, b: sparse.csc_matrix) -> np.ndarray | None:
    """Where each of ``b``'s entries is in ``a``'s arrays; None if ``b`` has an entry ``a``
    has not, or either repeats an entry (SciPy would sum the repeats).

    A chunk of columns at a time: ``a``'s entries marked in a (column, row) table by their
    place in the chunk, ``b``'s read from it (a mark left by an earlier chunk is told
    apart by the entry it points to).
    """
    n_rows, n_cols = a.shape
    chunk = max(1, _CELLS // max(n_rows, 1))
    mark = np.full(min(chunk, n_cols) * n_rows, -1, dtype=np.int32)
    out = np.empty(b.nnz, dtype=np.int64)
    for c0 in range(0, n_cols, chunk):
        c1 = min(c0 + chunk, n_cols)
        s, e = int(a.indptr[c0]), int(a.indptr[c1])
        columns = _columns(a.indptr, c0, c1)
        cells = columns * np.int32(n_rows) + a.indices[s:e]
        here = np.arange(e - s, dtype=np.int32)
        mark[cells] = here
        if not np.array_equal(mark[cells], here):
            return None
        bs, be = int(b.indptr[c0]), int(b.indptr[c1])
        b_columns, b_rows = _columns(b.indptr, c0, c1), b.indices[bs:be]
        found = mark[b_columns * np.int32(n_rows) + b_rows]
        ok = (found >= 0) & (found < e - s)
        at = found[ok]
        ok[ok] = (columns[at] == b_columns[ok]) & (a.indices[s + at] == b_rows[ok])
        if not ok.all() or (found.size and np.bincount(found).max() > 1):
            return None
        out[bs:be] = found + s
    return out


def _reverse_columns(a: sparse.csc_matrix) -> None:
    """Each column's entries of ``a`` in the reverse order (in place)."""
    n_cols = a.shape[1]
    per = max(1, _CELLS // max(a.shape[0], 1))
    for c0 in range(0, n_cols, per):
        c1 = min(c0 + per, n_cols)
        s, e = int(a.indptr[c0]), int(a.indptr[c1])
        count = np.diff(a.indptr[c0 : c1 + 1])
        ends = a.indptr[c0:c1].astype(np.int64) + a.indptr[c0 + 1 : c1 + 1] - 1
        target = np.repeat(ends, count) - np.arange(s, e)
        a.data[target] = a.data[s:e].copy()
        a.indices[target] = a.indices[s:e].copy()


def _sorted(m: sparse.csc_matrix) -> bool:
    """Whether ``m``'s arrays have each column's rows strictly increasing (SciPy's test)."""
    fresh = sparse.csc_matrix((m.data, m.indices, m.indptr), shape=m.shape, copy=False)
    return bool(fresh.has_canonical_format)


def add_into(a: sparse.csc_matrix, b: sparse.csc_matrix) -> sparse.csc_matrix:
    """``a + b`` as SciPy sums it (entries, their order, values), in ``a``'s arrays when
    both are CSC, every entry of ``b`` is one of ``a``'s and no sum is 0; else SciPy's
    ``a + b`` (as CSC).

    Parameters
    ----------
    a, b : (n, m) CSC matrices of float64; ``a``'s values are overwritten when summed
        in place (do not use ``a`` afterwards).

    Returns
    -------
    The sum, a CSC matrix (sharing ``a``'s arrays when summed in place).
    """
    same = a.dtype == b.dtype and a.indices.dtype == b.indices.dtype == a.indptr.dtype
    both_csc = a.format == b.format == "csc"  # the arrays are read as columns
    if a.nnz + b.nnz > np.iinfo(np.int32).max or not same or not both_csc:
        return sparse.csc_matrix(a + b)
    where = _positions(a, b)
    if where is None or not a.data.all():
        return sparse.csc_matrix(a + b)
    values = a.data[where] + b.data
    if not values.all():
        return sparse.csc_matrix(a + b)
    keep = _sorted(a) and _sorted(b)
    a.data[where] = values
    out = sparse.csc_matrix((a.data, a.indices, a.indptr), shape=a.shape, copy=False)
    if not keep:
        _reverse_columns(out)
    return out
