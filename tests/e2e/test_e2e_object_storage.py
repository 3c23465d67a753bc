"""Object storage: a time series streamed from a Zarr input on S3 to Zarr products on S3.

The S3 server is moto's, started on 127.0.0.1 by the test (the ``test`` extra
installs ``moto[server]`` and ``s3fs``); spec2x reaches it as a user reaches
any S3-compatible store, through ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import contextlib
import io
import socket
from pathlib import Path

import numpy as np
import pytest

from spec2x.cli import main
from spec2x.io.fits import open_exposure, open_product
from spec2x.io.zarr_store import open_zarr, to_zarr

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")


@pytest.fixture(scope="module")
def s3_bucket():
    """A bucket on a local S3 server; the endpoint and dummy keys set as a user would set them."""
    import fsspec

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "spec2x",
        "AWS_SECRET_ACCESS_KEY": "spec2x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        fsspec.filesystem("s3", skip_instance_cache=True).mkdir("spec2x-test")
        yield "s3://spec2x-test"
    server.stop()


def _refs_dir(manifest) -> Path:
    return Path(manifest["products"]["quicklook"]).parent / "refs"


@pytest.mark.slow
def test_time_series_from_s3_zarr_to_s3_zarr(demo_runs, s3_bucket):
    manifest = demo_runs("mir_lrs_slitless")
    rateints = open_exposure(manifest["input"])
    url_in = f"{s3_bucket}/in/jw_lrs_rateints.zarr"
    to_zarr(rateints, url_in, chunks={"integration": 16})
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            ["run", url_in, "--refs", str(_refs_dir(manifest)),
             "--output-dir", f"{s3_bucket}/out", "--format", "zarr"]
        )  # fmt: skip
    assert code == 0, out.getvalue()
    for suffix in ("calints", "x1dints"):
        ours = open_zarr(f"{s3_bucket}/out/jw_lrs_{suffix}.zarr").compute()
        demo = open_product(manifest["products"][suffix])
        variables = [v for v in demo.data_vars if demo[v].dtype.kind in "fiu"]
        assert variables
        for var in variables:
            np.testing.assert_array_equal(ours[var].values, demo[var].values, err_msg=var)


def test_product_round_trip_on_s3_is_exact(s3_bucket, tmp_path):
    from spec2x.synthetic.miri_lrs import make_lrs_slitless_tso

    ds = open_exposure(make_lrs_slitless_tso(tmp_path, seed=3, nints=5).exposures[0])
    url = f"{s3_bucket}/rt/jw_rt_rateints.zarr"
    to_zarr(ds, url, chunks={"integration": 2})
    back = open_zarr(url)
    assert back["sci"].chunks[0] == (2, 2, 1)
    for var in ds.data_vars:
        np.testing.assert_array_equal(back[var].values, ds[var].values, err_msg=var)
    assert back.attrs["EXP_TYPE"] == ds.attrs["EXP_TYPE"]


def test_missing_input_on_s3_is_one_line(s3_bucket, capsys):
    missing = f"{s3_bucket}/nowhere_rateints.zarr"
    code = main(["run", missing, "--output-dir", f"{s3_bucket}/out"])
    err = capsys.readouterr().err
    assert code != 0
    assert "nowhere_rateints.zarr does not exist" in err
    assert "Traceback" not in err
