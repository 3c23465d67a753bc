"""Property tests: FITS and Zarr round trips are exact; Dask and NumPy reads agree."""

from __future__ import annotations

import hashlib
import itertools
import sys
from pathlib import Path

import numpy as np
import xarray as xr
from helpers import raise_if_dask_computes
from hypothesis import given, settings
from hypothesis import strategies as st

from spec2x.datamodel import make_exposure
from spec2x.io import open_product, open_zarr, to_zarr, write_fits

sys.path.insert(0, str(Path(__file__).parent))
import products  # noqa: E402

_counter = itertools.count()

keys = st.from_regex(r"[A-Z][A-Z0-9_]{0,7}", fullmatch=True).filter(
    lambda k: k not in {"FILENAME", "DATAMODL", "TELESCOP", "SUBSTRT1", "SUBSTRT2", "END"}
)
values = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=90),
)
odd_attrs = st.fixed_dictionaries(
    {},
    optional={
        "lower_key": st.text(max_size=5),
        "NANVALUE": st.just(float("nan")),
        "TRAILING": st.just("spaces  "),
        "UNICODE": st.just("µm ✓"),
        "NESTED": st.just({"a": [1, 2], "b": "c"}),
    },
)


@st.composite
def exposures(draw):
    nint = draw(st.sampled_from([0, 1, 3]))
    ny, nx = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    shape = (ny, nx) if nint == 0 else (nint, ny, nx)
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)

    def floats():
        a = rng.normal(size=shape).astype(np.float32)
        a[rng.uniform(size=shape) < 0.2] = np.nan
        a[rng.uniform(size=shape) < 0.05] = np.inf
        return a

    dq = rng.integers(0, 2**32, shape, dtype=np.uint64).astype(np.uint32)
    dq.flat[0] = 2**31  # a high bit always
    attrs = draw(st.dictionaries(keys, values, max_size=8)) | draw(odd_attrs)
    int_times = None
    if nint and draw(st.booleans()):
        int_times = {"int_mid_MJD_UTC": rng.uniform(6e4, 6.1e4, nint)}
    return make_exposure(
        floats(),
        err=floats(),
        dq=dq,
        var_poisson=floats(),
        var_rnoise=floats(),
        var_flat=floats(),
        attrs=attrs,
        xstart=draw(st.integers(1, 2048)),
        ystart=draw(st.integers(1, 2048)),
        int_times=int_times,
    )


def _fits_round_trip(ds, tmp_path):
    path = write_fits(ds, tmp_path / f"h{next(_counter)}.fits")
    return path, open_product(path)


@settings(deadline=None, max_examples=20)
@given(ds=exposures())
def test_exposure_fits_round_trip_exact(ds, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("fits")
    before = ds.copy(deep=True)
    path, back = _fits_round_trip(ds, tmp_path)
    model = "ImageModel" if ds["sci"].ndim == 2 else "CubeModel"
    xr.testing.assert_identical(back, ds.assign_attrs(FILENAME=path.name, DATAMODL=model))
    xr.testing.assert_identical(ds, before)  # the input is never changed
    chunks = {"integration": 1} if "integration" in ds.dims else {"y": 2}
    with raise_if_dask_computes():
        lazy = open_product(path, chunks=chunks)
    xr.testing.assert_identical(lazy.compute(), back)


@settings(deadline=None, max_examples=20)
@given(ds=exposures())
def test_exposure_zarr_round_trip_exact(ds):
    memory = f"memory://prop{next(_counter)}.zarr"
    to_zarr(ds, memory)
    with raise_if_dask_computes():
        back = open_zarr(memory)
    xr.testing.assert_identical(back, ds)


@st.composite
def slit_products(draw):
    n = draw(st.integers(1, 4))
    sizes = [(draw(st.integers(1, 7)), draw(st.integers(1, 9))) for _ in range(n)]
    ds = products.slits(seed=draw(st.integers(0, 1000)), sizes=sizes)
    return ds.assign_attrs(draw(st.dictionaries(keys, values, max_size=4)))


@settings(deadline=None, max_examples=8)
@given(ds=slit_products())
def test_slits_fits_and_zarr_round_trips_exact(ds, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("slits")
    path, back = _fits_round_trip(ds, tmp_path)
    xr.testing.assert_identical(back, ds.assign_attrs(FILENAME=path.name))
    with raise_if_dask_computes():
        lazy = open_product(path, chunks={"slit": 1})
    xr.testing.assert_identical(lazy.compute(), back)
    memory = f"memory://slits{next(_counter)}.zarr"
    to_zarr(ds, memory)
    xr.testing.assert_identical(open_zarr(memory), ds)


def test_open_never_modifies_the_file(tmp_path):
    path = write_fits(products.rateints(nint=2), tmp_path / "r_rateints.fits")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    mtime = path.stat().st_mtime_ns
    open_product(path).load()
    open_product(path, chunks="auto").compute()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert path.stat().st_mtime_ns == mtime
