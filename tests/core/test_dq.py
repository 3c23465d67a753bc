import numpy as np
import pytest
import xarray as xr

from spec2x.dq import DQ, combine, dq_names, has_flag, interpret


def test_bit_values_follow_jwst():
    assert DQ.DO_NOT_USE == 1
    assert DQ.NON_SCIENCE == 512
    assert DQ.NO_FLAT_FIELD == 262144
    assert DQ.REFERENCE_PIXEL == 2**31
    assert len([f for f in DQ if f]) == 32


def test_bits_match_stdatamodels():
    dqflags = pytest.importorskip("stdatamodels.jwst.datamodels.dqflags")
    assert {name: int(f) for name, f in DQ.__members__.items()} == dqflags.pixel


def test_names_and_interpret_round_trip():
    value = int(DQ.DO_NOT_USE | DQ.NON_SCIENCE | DQ.OPEN)
    names = dq_names(value)
    assert names == ["DO_NOT_USE", "NON_SCIENCE", "OPEN"]
    assert interpret(names) == value
    assert interpret("do_not_use, non_science+open") == value
    assert interpret(7) == 7


def test_unknown_name_lists_valid_ones():
    with pytest.raises(KeyError, match="DO_NOT_USE"):
        interpret("NOT_A_FLAG")


def test_combine_and_has_flag():
    a = np.array([0, 1, 512], dtype=np.uint32)
    b = np.array([2, 0, 1], dtype=np.uint32)
    out = combine(a, b, 4)
    np.testing.assert_array_equal(out, [6, 5, 517])
    assert out.dtype == np.uint32
    np.testing.assert_array_equal(has_flag(out, "DO_NOT_USE"), [False, True, True])
    da = xr.DataArray(out, dims="x")
    assert has_flag(da, DQ.NON_SCIENCE).values.tolist() == [False, False, True]
