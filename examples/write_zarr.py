"""Stream a time series to Zarr and read it back lazily.

A synthetic MIRI LRS slitless exposure is opened with Dask chunks along
``integration``, calibrated through the whole chain (still lazy), and the
``calints`` and ``x1dints`` products are written as chunked Zarr stores
(local here; an ``s3://bucket/...`` URL works the same with s3fs installed).
Reading back gives the same numbers, and selecting integrations reads only
their chunks.

    python examples/write_zarr.py [FOLDER]
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

from spec2x.io import open_exposure, open_zarr, to_zarr
from spec2x.pipeline import spec2
from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso


def main(folder: Path) -> None:
    obs = make_lrs_slitless_tso(folder / "inputs", seed=4, nints=12)
    rateints = open_exposure(obs.exposures[0], chunks={"integration": 4})
    products = spec2(rateints, obs.references)
    stores = {}
    for suffix in ("calints", "x1dints"):
        stores[suffix] = to_zarr(products[suffix], folder / f"lrs_tso_{suffix}.zarr")
        print(f"wrote {stores[suffix]}")

    x1d = open_zarr(stores["x1dints"])
    print(f"x1dints: {dict(x1d.sizes)}, flux chunks {x1d['flux'].chunks}")
    np.testing.assert_array_equal(x1d["flux"].values, products["x1dints"]["flux"].values)
    middle = x1d["flux"].isel(integration=slice(4, 8)).sum("spectral").compute()
    print("white light of integrations 5-8:", np.round(middle.values, 4))
    cal = open_zarr(stores["calints"])
    print(
        f"calints: {cal['sci'].dims} {cal['sci'].shape}, units {cal['sci'].attrs.get('units')}, "
        f"wavelength coordinate {cal['wavelength'].dims}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
