"""SOSS ATOCA's sparse sum in place: SciPy's ``a + b`` entry for entry, order included."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from spec2x.instruments.niriss import soss_atoca_sparse
from spec2x.instruments.niriss.soss_atoca_sparse import add_into


def _product(rng: np.random.Generator, n: int) -> sparse.csc_matrix:
    """A (n, n) ``Rᵀ W R`` as the normal matrix is made (SciPy's product: unsorted rows)."""
    r = sparse.random(3 * n, n, density=0.15, random_state=rng, format="csr")
    return sparse.csc_matrix(r.T @ sparse.diags(rng.normal(size=3 * n)) @ r)


def _same(x: sparse.csc_matrix, y: sparse.csc_matrix) -> bool:
    return (
        x.shape == y.shape
        and np.array_equal(x.indptr, y.indptr)
        and np.array_equal(x.indices, y.indices)
        and np.array_equal(x.data, y.data)
        and x.indices.dtype == y.indices.dtype
    )


def _subset(rng: np.random.Generator, a: sparse.csc_matrix, order: str) -> sparse.csc_matrix:
    """Some of ``a``'s entries with new values, in ``a``'s order or sorted."""
    b = a.copy()
    b.data = rng.normal(size=b.nnz) * (rng.random(b.nnz) < 0.6)
    b.eliminate_zeros()
    return sparse.csc_matrix(b.tocsr()) if order == "sorted" else b


@pytest.mark.parametrize("cells", [None, 64])
@pytest.mark.parametrize("order", ["as a", "sorted"])
@pytest.mark.parametrize("a_sorted", [False, True])
def test_add_into_is_scipys_sum_in_place(
    order: str, a_sorted: bool, cells: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whole, and by chunks of a few columns (marks of the chunks before left behind)."""
    if cells is not None:
        monkeypatch.setattr(soss_atoca_sparse, "_CELLS", cells)
    rng = np.random.default_rng(3)
    for n in (5, 40, 200):
        a = _product(rng, n)
        if a_sorted:
            a.sort_indices()
        b = _subset(rng, a, order)
        expected = sparse.csc_matrix(a + b)
        data = a.data
        got = add_into(a, b)
        assert _same(got, expected)
        assert np.shares_memory(got.data, data)  # summed in a's arrays, not a third matrix


@pytest.mark.parametrize("cells", [None, 64])
def test_add_into_falls_back_to_scipy(cells: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry of b not in a, a sum of 0, an explicit 0 in a: SciPy's own sum."""
    if cells is not None:
        monkeypatch.setattr(soss_atoca_sparse, "_CELLS", cells)
    rng = np.random.default_rng(4)
    a = _product(rng, 60)
    other = sparse.random(60, 60, density=0.05, random_state=rng, format="csc")
    cancel = a.copy()
    cancel.data = -cancel.data
    zero = a.copy()
    zero.data[0] = 0.0
    for x, y in ((a, other), (a, cancel), (zero, _subset(rng, a, "as a"))):
        expected = sparse.csc_matrix(x + y)
        assert _same(add_into(x.copy(), y), expected)


def test_add_into_mark_of_an_earlier_chunk_is_not_an_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 2 columns: a's (1, 0) leaves a mark at cell (column 0 of the chunk, row 1)
    pointing to the chunk's first entry; in the next chunk that entry is (1, 3), and b's
    (1, 2), not in a, reads that cell: it must not be taken for a's (1, 3)."""
    monkeypatch.setattr(soss_atoca_sparse, "_CELLS", 8)
    a = sparse.csc_matrix(([2.0, 3.0], ([1, 1], [0, 3])), shape=(4, 4))
    b = sparse.csc_matrix(([5.0], ([1], [2])), shape=(4, 4))
    expected = sparse.csc_matrix(a + b)
    assert _same(add_into(a.copy(), b), expected)


def test_add_into_a_csr_matrix_is_scipys_sum() -> None:
    """A CSR ``b`` (its arrays are rows, not columns; ``a``'s pattern is symmetric, so read
    as columns they would fit it as ``bᵀ``): SciPy's own sum, ``a`` untouched."""
    rng = np.random.default_rng(5)
    a = _product(rng, 40)
    b = sparse.csr_matrix(_subset(rng, a, "as a"))
    before = a.data.copy()
    expected = sparse.csc_matrix(a + b)
    got = add_into(a, b)
    assert got.format == "csc"
    np.testing.assert_array_equal(got.toarray(), expected.toarray())
    np.testing.assert_array_equal(a.data, before)
