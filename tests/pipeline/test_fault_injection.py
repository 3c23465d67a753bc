"""Runs killed with SIGKILL at many file operations leave only whole products.

``kill_driver.py`` forks real runs (FITS and Zarr, into an empty folder and
over older products) and kills each at one file event; after the next run's
clean-up every product present must read back whole and equal one of the
clean runs (the old product or the new one), and an older product is never
lost.  The figures are in ``docs/reliability.md``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr
from pipeline_fakes import exposure

from spec2x.io.fits import open_product, write_fits
from spec2x.io.zarr_store import open_zarr
from spec2x.scale import jobs_from_inputs, run_many

#: kill points tried per case (spread over all the file events of a run).
POINTS = 30
PRODUCTS = ("cal", "x1d")


def _read(path: Path) -> xr.Dataset:
    ds = open_zarr(path) if path.suffix == ".zarr" else open_product(path)
    return ds.load()


def _clean_run(folder: Path, value: float, fmt: str) -> dict[str, xr.Dataset]:
    """Products of an uninterrupted run on an exposure of constant ``value``."""
    src = folder / f"in-{value}"
    src.mkdir(parents=True, exist_ok=True)
    path = write_fits(
        exposure("MIR_LRS-SLITLESS", value=value, name="jw00_rate.fits"), src / "jw00_rate.fits"
    )
    out = folder / f"clean-{fmt}-{value}"
    (result,) = run_many(jobs_from_inputs([path]), output_dir=out, fmt=fmt)
    assert result.ok, result.error
    return {s: _read(Path(p)) for s, p in result.outputs.items()}


def _same_as_one(got: xr.Dataset, choices: list[xr.Dataset]) -> bool:
    """Identical to one of ``choices``, but for the time of the run (``DATE``)."""
    got = got.assign_attrs(DATE="")
    return any(got.identical(want.assign_attrs(DATE="")) for want in choices)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks the runs it kills")
def test_killed_runs_leave_only_whole_products(fake_steps, tmp_path):
    cases, clean = [], {}
    for fmt in ("fits", "zarr"):
        clean[fmt] = {"old": _clean_run(tmp_path, 1.0, fmt), "new": _clean_run(tmp_path, 2.0, fmt)}
        for replacing in (False, True):
            name = f"{fmt}-{'replace' if replacing else 'new'}"
            cases.append(
                {
                    "name": name,
                    "fmt": fmt,
                    "input": str(tmp_path / "in-2.0" / "jw00_rate.fits"),
                    "out": str(tmp_path / name),
                    "old": str(tmp_path / f"clean-{fmt}-1.0") if replacing else None,
                }
            )
    plan = tmp_path / "plan.json"
    report_path = tmp_path / "report.json"
    plan.write_text(json.dumps({"cases": cases, "points": POINTS, "report": str(report_path)}))
    driver = Path(__file__).with_name("kill_driver.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, str(driver), str(plan)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(report_path.read_text())
    checked, partial = 0, []
    for row in report:
        fmt, replacing = row["case"].split("-")
        ext = f".{fmt}"
        folder = Path(row["dir"])
        entries = sorted(p.name for p in folder.iterdir())
        assert all(not name.startswith(".") for name in entries), (row, entries)  # all cleaned
        present = [s for s in PRODUCTS if (folder / f"jw00_{s}{ext}").exists()]
        if replacing == "replace":
            assert present == list(PRODUCTS), (row, entries)  # the old one is never lost
        for suffix in present:
            checked += 1
            choices = [clean[fmt]["new"][suffix]] + (
                [clean[fmt]["old"][suffix]] if replacing == "replace" else []
            )
            try:
                if not _same_as_one(_read(folder / f"jw00_{suffix}{ext}"), choices):
                    partial.append((row["case"], row["at"], suffix, "differs"))
            except Exception as exc:  # noqa: BLE001 - any failure to read is a partial product
                partial.append((row["case"], row["at"], suffix, repr(exc)))
    killed = sum(row["killed"] for row in report)
    per_case = {
        c["name"]: (
            sum(r["case"] == c["name"] for r in report),
            max(r["events"] for r in report if r["case"] == c["name"]),
            sum(bool(r["restored"]) for r in report if r["case"] == c["name"]),
        )
        for c in cases
    }
    print(f"kill points {len(report)} (killed {killed}), products checked {checked}")
    print(f"partial {len(partial)}; per case (points, file events, restored): {per_case}")
    assert partial == []
    assert killed >= 0.9 * len(report)
    assert all(points >= 20 for points, _, _ in per_case.values()), per_case
