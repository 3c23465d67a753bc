import ast
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import spec2x
from spec2x.dq import DQ, DQ_DTYPE, combine, dq_names, has_flag, interpret


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


def test_flags_on_uint32_arrays_do_not_promote():
    dq = np.array([0, 1, 2**31], dtype=np.uint32)
    flag = DQ_DTYPE(DQ.DO_NOT_USE | DQ.REFERENCE_PIXEL)
    assert (dq & flag).dtype == np.uint32
    assert (dq | DQ_DTYPE(DQ.OUTLIER)).dtype == np.uint32
    assert np.where(dq > 0, DQ_DTYPE(DQ.HOT), DQ_DTYPE(0)).dtype == np.uint32
    assert has_flag(dq, "REFERENCE_PIXEL").dtype == bool
    assert (dq & DQ.DO_NOT_USE).dtype == np.int64  # why the bare IntFlag is avoided


def _bare_flag(node: ast.AST) -> bool:
    """``DQ.X`` itself, not wrapped (``DQ_DTYPE(DQ.X)``, ``int(DQ.X)``)."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "DQ"
    )


def _flag_expr(node: ast.AST) -> bool:
    """``DQ.X`` or flag-only arithmetic such as ``DQ.A | DQ.B``: still an ``IntFlag``."""
    if isinstance(node, ast.BinOp):
        return _flag_expr(node.left) and _flag_expr(node.right)
    return _bare_flag(node)


def _promoting(node: ast.AST) -> bool:
    """An array operation with a bare flag: ``a & DQ.X``, ``a |= DQ.X`` or ``where(m, DQ.X, 0)``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr):
        return _flag_expr(node.left) != _flag_expr(node.right)
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.BitAnd | ast.BitOr):
        return _flag_expr(node.value)
    if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in {"where", "bitwise_or"}:
        return any(_flag_expr(a) for a in node.args)
    return False


def test_chain_uses_flags_without_promotion():
    package = Path(spec2x.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if _promoting(node):
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, f"use DQ_DTYPE(DQ.X) on arrays: {offenders}"
