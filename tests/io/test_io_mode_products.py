"""SOSS, WFSS, MOS and MRS-cube products written by spec2x open in stdatamodels as jwst's do.

The products of ``mode_products.py`` (small synthetic runs of spec2) are
written as FITS, read back by spec2x, and opened with
``stdatamodels.jwst.datamodels.open`` (the class chosen from the file, as for
an official product): the model class, its validation and the spectra, slits
or cube planes it holds.  ``plain_install_check.py`` reads the same products
back in an install without stdatamodels.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import REALDATA

from spec2x.io import open_product, write_fits

sys.path.insert(0, str(Path(__file__).parent))
from mode_products import MODELS, mrs_cube, run_modes  # noqa: E402

dm = pytest.importorskip("stdatamodels.jwst.datamodels")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """label -> (the product, its FITS path)."""
    folder = tmp_path_factory.mktemp("mode_products")
    made = dict(run_modes(folder / "inputs"))
    if (REALDATA / "miri").is_dir():
        made["mir_mrs_s3d"] = mrs_cube(folder / "mir_mrs", REALDATA)
    return {label: (ds, write_fits(ds, folder / f"{label}.fits")) for label, ds in made.items()}


@pytest.mark.parametrize("label", sorted(MODELS))
def test_opens_as_the_jwst_model(written, label):
    if label == "mir_mrs_s3d" and label not in written:
        pytest.skip(f"the MRS cube needs the real FLT9 files in {REALDATA / 'miri'}")
    ds, path = written[label]
    assert open_product(path).attrs["DATAMODL"] == MODELS[label]
    with dm.open(path) as model:
        assert type(model).__name__ == MODELS[label]
        model.validate()
        if MODELS[label] == "TSOMultiSpecModel":
            orders = [int(o) for o in np.atleast_1d(ds["spectral_order"].values)]
            assert [s.spectral_order for s in model.spec] == orders
            assert {s.spec_table["FLUX"].shape[0] for s in model.spec} == {ds.sizes["integration"]}
        elif MODELS[label] == "MultiSpecModel":
            assert len(model.spec) == ds.sizes["slit"]
            first = ds["flux"].isel(slit=0).values
            got = model.spec[0].spec_table["FLUX"]
            np.testing.assert_array_equal(got, first[: got.size])
        elif MODELS[label] == "WFSSMultiSpecModel":  # a table per order, a row per source
            orders = sorted({int(o) for o in ds["spectral_order"].values})
            assert [s.spectral_order for s in model.spec] == orders
            assert sum(len(s.spec_table) for s in model.spec) == ds.sizes["slit"]
        elif MODELS[label] == "MultiSlitModel":
            assert [s.name for s in model.slits] == [str(n) for n in ds["slit_name"].values]
            ny, nx = int(ds["ysize"].values[0]), int(ds["xsize"].values[0])
            np.testing.assert_array_equal(model.slits[0].data, ds["sci"].values[0, :ny, :nx])
        else:  # CubeModel (calints), IFUCubeModel (s3d)
            np.testing.assert_array_equal(model.data, ds["sci"].values)
