"""spec2x writes ASDF without asdf's schema validation: what it writes must still be valid,
and the skip must not leak to anyone else's writes."""

from __future__ import annotations

import io
import threading

import asdf
import numpy as np
import pytest
from asdf.exceptions import ValidationError
from asdf.tags.core import Software
from nrs_helpers import shared_full_assigned

from spec2x._asdf_write import asdf_bytes
from spec2x.io.fits_asdf import asdf_hdu
from spec2x.wcs.store import get_wcs, wcs_to_text


def _open_validated(raw: bytes) -> dict:
    with asdf.config_context() as config:
        config.validate_on_read = True
        with asdf.open(io.BytesIO(raw), lazy_load=False, memmap=False) as af:
            af.validate()
            return dict(af.tree)


def _invalid_tree() -> dict:
    return {"thing": Software({"name": "x"})}  # core/software needs a version


@pytest.fixture(scope="module")
def slit_wcs():
    return get_wcs(shared_full_assigned(), slit="S200A1")


def test_wcs_text_is_schema_valid_and_decodes_to_the_same_transform(slit_wcs):
    text = wcs_to_text(slit_wcs)
    back = _open_validated(text.encode("utf-8"))["wcs"]
    assert back.available_frames == slit_wcs.available_frames
    x, y = np.meshgrid(np.arange(700, 900, 37.0), np.arange(1010, 1040, 7.0))
    np.testing.assert_array_equal(back(x, y)[2], slit_wcs(x, y)[2])


def test_fits_asdf_extension_is_schema_valid(slit_wcs):
    hdu = asdf_hdu({"meta": {"wcs": slit_wcs}, "spec2x": {"version": 1}})
    raw = hdu.data["ASDF_METADATA"][0].tobytes()
    tree = _open_validated(raw)
    assert tree["meta"]["wcs"].available_frames == slit_wcs.available_frames


def test_validation_is_skipped_only_inside_asdf_bytes():
    raw = asdf_bytes(_invalid_tree())  # spec2x's own writes are not validated ...
    assert raw.startswith(b"#ASDF")
    with pytest.raises(ValidationError):  # ... anybody else's still are, before and after
        asdf.AsdfFile(_invalid_tree()).write_to(io.BytesIO())


def test_other_threads_are_still_validated_while_spec2x_writes():
    errors: list[BaseException] = []

    def other_writer() -> None:
        try:
            asdf.AsdfFile(_invalid_tree()).write_to(io.BytesIO())
        except ValidationError as exc:
            errors.append(exc)

    from spec2x import _asdf_write as asdf_write

    with asdf_write._unvalidated():
        thread = threading.Thread(target=other_writer)
        thread.start()
        thread.join()
        asdf.AsdfFile(_invalid_tree()).write_to(io.BytesIO())  # this thread: skipped
    assert len(errors) == 1


def test_copy_pipeline_changes_leave_the_shared_wcs_alone(slit_wcs):
    import copy

    from astropy.modeling.models import Identity, Shift

    from spec2x.wcs.store import copy_pipeline

    before = wcs_to_text(slit_wcs)

    def change(w):
        tr = Shift(3) & Shift(4) | w.get_transform("detector", "sca")
        tr.name = "dms2sca"
        w.set_transform("detector", "sca", tr)
        w.bounding_box = ((-0.5, 99.5), (-0.5, 9.5))
        frame = copy.deepcopy(w.slit_frame)
        frame.name = "extra_frame"
        w.insert_frame("slit_frame", Identity(3), frame)
        return w

    cheap = change(copy_pipeline(slit_wcs))
    deep = change(copy.deepcopy(slit_wcs))
    assert wcs_to_text(slit_wcs) == before
    assert wcs_to_text(cheap) == wcs_to_text(deep)
    assert cheap.available_frames == deep.available_frames != slit_wcs.available_frames


def _arrays() -> dict:
    rng = np.random.default_rng(3)
    values = rng.normal(size=40) * 10.0 ** rng.integers(-30, 30, 40)
    values[:6] = [np.nan, np.inf, -np.inf, 1e-5, -0.0, 1e20]
    return {
        "f8": values,
        "f4": values.astype(np.float32),
        "i4": np.arange(-20, 20, dtype=np.int32).reshape(5, 8),
        "u1": np.arange(32, dtype=np.uint8),
        "b": np.arange(20) % 3 == 0,
        "short": np.array([0.1, 0.2]),
    }


def test_inline_arrays_as_flow_text_read_back_exactly_and_equal_asdfs_own_tree():
    from spec2x.wcs.store import same_asdf_text

    arrays = _arrays()
    raw = asdf_bytes(arrays, inline_arrays=True)
    assert b"spec2x-inline" not in raw
    back = _open_validated(raw)
    for name, value in arrays.items():
        np.testing.assert_array_equal(np.asarray(back[name]), value)
        assert np.asarray(back[name]).dtype == value.dtype
    own = io.BytesIO()
    asdf.AsdfFile(dict(arrays)).write_to(own, all_array_storage="inline")
    assert same_asdf_text(raw.decode(), own.getvalue().decode())


def test_inline_and_block_arrays_together_read_back():
    arrays = {**_arrays(), "big": np.linspace(0.0, 1.0, 5000)}
    back = _open_validated(asdf_bytes(arrays, inline_below=100))
    for name, value in arrays.items():
        np.testing.assert_array_equal(np.asarray(back[name]), value)


def test_array_lists_are_asdfs_own_outside_spec2x_writes():
    from asdf.tags.core import ndarray

    asdf_bytes({"x": np.arange(30.0)}, inline_arrays=True)  # the wrapper is installed
    assert ndarray.numpy_array_to_list(np.arange(30.0)) == list(np.arange(30.0))


def test_flow_text_is_pyyamls_own_flow_sequence():
    """Every number as PyYAML's safe dumper writes it: bare mantissas (``1e-05``, ``-5e+16``)
    get their point, NaN, infinities and booleans their YAML words."""
    import yaml

    from spec2x._asdf_write import _flow_text

    rng = np.random.default_rng(7)
    values = rng.normal(size=4000) * 10.0 ** rng.integers(-40, 40, 4000)
    values[::7] = np.round(values[::7], 0) * 10.0 ** rng.integers(-30, 30, values[::7].size)
    values[:8] = [np.nan, np.inf, -np.inf, 1e-5, -5e16, -0.0, 1e20, 15e-5]
    for array in (values, values.astype(np.float32), values.reshape(40, 100)):
        listed = array.tolist()
        assert (
            _flow_text(listed)
            == yaml.safe_dump(listed, default_flow_style=True, width=10**9).strip()
        )
    flags = [True, False, True] * 10
    assert _flow_text(flags) == yaml.safe_dump(flags, default_flow_style=True, width=10**9).strip()
