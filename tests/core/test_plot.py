"""Quick-looks: colour bars, a wavelength axis, unstretched panels, the integration named."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from spec2x.cli import main
from spec2x.datamodel import make_exposure
from spec2x.errors import ParameterError
from spec2x.io import to_zarr
from spec2x.plot import plot_image, plot_spectrum, quicklook, summary_figure

_MIRI = {"INSTRUME": "MIRI", "EXP_TYPE": "MIR_LRS-SLITLESS", "DETECTOR": "MIRIMAGE"}


def _slits(ny, nx, *, along_y, dispaxis=True):
    """A one-slit s2d: MIRI-like tall (wavelength falling along y) or NIRSpec-like wide."""
    gen = np.random.default_rng(3)
    lam = np.linspace(14.0, 5.0, ny)[:, None] if along_y else np.linspace(1.0, 1.9, nx)[None, :]
    wave = np.broadcast_to(lam, (ny, nx)).copy()
    wave[:, 0] = np.nan
    sci = gen.normal(1.0, 0.1, (1, ny, nx)).astype(np.float32)
    attrs = {"DISPAXIS": 2 if along_y else 1} if dispaxis else {}
    return xr.Dataset(
        {"sci": (("slit", "y", "x"), sci, {"units": "MJy/sr"})},
        coords={"wavelength": (("slit", "y", "x"), wave[None]), "slit_name": ("slit", ["S1"])},
        attrs=attrs,
    )


def _calints(nint=4):
    gen = np.random.default_rng(5)
    ds = make_exposure(gen.normal(1.0, 0.1, (nint, 40, 8)), attrs=_MIRI, units="MJy/sr")
    wave = np.broadcast_to(np.linspace(14.0, 5.0, 40)[:, None], (40, 8))
    return ds.assign_coords(wavelength=(("y", "x"), wave.copy()))


def _x1dints(nint=4):
    flux = np.ones((nint, 30)) * np.arange(1, nint + 1)[:, None]
    return xr.Dataset(
        {"flux": (("integration", "spectral"), flux, {"units": "Jy"})},
        coords={"wavelength": ("spectral", np.linspace(5, 12, 30)),
                "integration": np.arange(1, nint + 1)},
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _colorbars(fig):
    return [a for a in fig.axes if a.get_label() == "<colorbar>"]


@pytest.mark.parametrize(("shape", "along_y"), [((60, 8), True), ((10, 200), False)])
@pytest.mark.parametrize("dispaxis", [True, False])
def test_image_panel_has_colour_bar_and_wavelength_axis(shape, along_y, dispaxis):
    ax = plot_image(_slits(*shape, along_y=along_y, dispaxis=dispaxis))
    fig = ax.figure
    assert len(_colorbars(fig)) == 1
    assert "MJy/sr" in _colorbars(fig)[0].get_ylabel()
    (sec,) = ax.child_axes
    label = sec.get_ylabel() if along_y else sec.get_xlabel()
    assert label == "wavelength (µm)"
    ticks = sec.get_yticklabels() if along_y else sec.get_xticklabels()
    values = [float(t.get_text()) for t in ticks]
    lo, hi = (5.0, 14.0) if along_y else (1.0, 1.9)
    assert len(values) >= 3
    assert all(lo <= v <= hi for v in values)


def test_tall_miri_slit_is_not_stretched_wide_nirspec_slit_is_readable(tmp_path):
    for shape, along_y in [((379, 45), True), ((36, 1467), False)]:
        ax = plot_image(_slits(*shape, along_y=along_y))
        ax.figure.canvas.draw()
        box = ax.get_window_extent()
        shown = box.height / box.width
        ratio = shape[0] / shape[1]
        if along_y:
            assert shown == pytest.approx(ratio, rel=0.05)  # square pixels
        else:
            assert shown == pytest.approx(0.2, rel=0.05)  # no flatter than 1:5


def test_summary_puts_a_tall_image_beside_the_spectrum(tmp_path, monkeypatch):
    figures = []
    monkeypatch.setattr("spec2x.plot._save", lambda fig, out: figures.append(fig))
    products = {"s2d": _slits(379, 45, along_y=True), "x1d": _x1dints(1).isel(integration=0)}
    summary_figure(products, tmp_path / "s.png")
    image, spectrum = (a for a in figures[0].axes if a.get_label() in ("s2d", "x1d"))
    assert image.get_position().x1 < spectrum.get_position().x0
    assert len(_colorbars(figures[0])) == 1


def test_cli_plots_a_zarr_product(tmp_path, capsys):
    store = to_zarr(_slits(60, 8, along_y=True), tmp_path / "jw01_s2d.zarr")
    code = main(["plot", str(store), "-o", str(tmp_path / "q.png")])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert (tmp_path / "q.png").read_bytes()[:4] == b"\x89PNG"


def test_time_series_titles_name_the_integration():
    ax = plot_image(_calints())
    assert "median of 4 integrations" in ax.get_title()
    ax = plot_image(_calints(), integration=3)
    assert "integration 3 of 4" in ax.get_title()
    ax = plot_spectrum(_x1dints(), integration=2)
    assert "integration 2 of 4" in ax.get_title()
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), 2.0)
    assert "median of 4 integrations" in plot_spectrum(_x1dints()).get_title()
    with pytest.raises(ParameterError, match="integration 9: .* 1 to 4"):
        plot_image(_calints(), integration=9)


def test_cli_plots_one_integration(tmp_path, capsys, monkeypatch):
    store = to_zarr(_calints(), tmp_path / "jw01_calints.zarr")
    shown = {}
    real = quicklook

    def spy(product, out, *, integration=None):
        shown["integration"] = integration
        return real(product, out, integration=integration)

    monkeypatch.setattr("spec2x.plot.quicklook", spy)
    code = main(["plot", str(store), "-o", str(tmp_path / "q.png"), "--integration", "2"])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert (tmp_path / "q.png").read_bytes()[:4] == b"\x89PNG"
    assert shown == {"integration": 2}
