"""Synthetic MIRI LRS observations: a nodded fixed-slit pair and a slitless TSO.

The scene is built in calibrated units and taken back to count rates through
the inverse of the synthetic references (:mod:`.miri_lrs_refs`), so the
truth travels with the data:

.. math::

    S(y, x) = \\frac{F_\\nu(\\lambda_y)\\, T_{slit}(\\lambda_y)\\, P(x - x_s(y); \\sigma_\\lambda)}
                   {\\Omega_{pix}} + B(\\lambda_y), \\qquad
    R(y, x) = \\frac{S(y, x)\\, \\mathrm{flat}(y, x)}{\\mathrm{PHOTMJSR}\\, r(\\lambda_y)}

with ``F`` the source spectrum (MJy), ``T_slit`` the inverse of the pathloss
correction (fixed slit only), ``P`` the pixel-integrated Gaussian
cross-dispersion profile centred on the trace ``x_s(y)`` where the WCS puts
the target (TARG_RA, TARG_DEC), ``Ω`` the nominal pixel area (sr), ``B`` the
background (MJy/sr), ``r`` the relative response, all interpolated as jwst
interpolates them.  Noise: Poisson (gain 4 e-/DN) and read noise, with
``var_poisson`` and ``var_rnoise`` the variances of the two parts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..datamodel import make_exposure
from ..dq import DQ
from ..instruments.miri.lrs_wcs import v2v3_to_sky, velocity_aberration
from ..io.fits import write_fits
from .base import rng, transit_light_curve
from .miri_lrs_refs import (
    FULL_SHAPE,
    LRS_OPTICS,
    SLITLESS_SUBARRAY,
    LrsOptics,
    write_lrs_references,
)
from .miri_lrs_scene import conversion as _conversion  # noqa: F401  (tests use the old names)
from .miri_lrs_scene import pathloss_at_centre as _pathloss_at_centre  # noqa: F401
from .miri_lrs_scene import render, source_spectrum

__all__ = ["LrsObservation", "make_lrs_fixedslit", "make_lrs_slitless_tso", "source_spectrum"]

GAIN = 4.0  # e- / DN
READ_NOISE = 8.0  # DN per read
TARGET = (80.4875, -69.4989)  # RA, Dec deg (LMC)


@dataclass
class LrsObservation:
    """Files of a synthetic observation and the truth they were made from.

    Attributes
    ----------
    folder : where everything was written.
    exposures : rate/rateints files (nod A then B for the fixed slit).
    references : reftype -> reference file.
    wavelength : truth grid, µm; ``flux`` the source there, MJy.
    source_x : per exposure, 0-based data-array column of the source trace
        at each row of ``rows`` (NaN where the row has no wavelength).
    rows : 0-based data-array rows; ``source_x`` gives the trace column on each.
    association : per exposure, a level-2 association (nod pair: the other
        exposure is its background).
    times, light_curve, depth : TSO only: integration mid times (MJD UTC),
        relative flux per integration, transit depth.
    """

    folder: Path
    exposures: list[Path]
    references: dict[str, Path]
    wavelength: np.ndarray
    flux: np.ndarray
    rows: np.ndarray
    source_x: list[np.ndarray]
    association: list[Path] = field(default_factory=list)
    times: np.ndarray | None = None
    light_curve: np.ndarray | None = None
    depth: float | None = None

    @property
    def flux_jy(self) -> np.ndarray:
        """Truth in Jy (the unit of jwst's x1d FLUX column)."""
        return self.flux * 1e6

    def truth(self, wavelength: Any) -> np.ndarray:
        """Truth spectrum (MJy) at ``wavelength`` (µm)."""
        return np.interp(wavelength, self.wavelength, self.flux, left=np.nan, right=np.nan)


# ------------------------------------------------------------ keywords


def _pointing(attrs: dict[str, Any], v2: float, v3: float, target: tuple[float, float]) -> None:
    """Set RA_REF/DEC_REF so that (v2, v3) arcsec looks at ``target`` (ROLL_REF fixed, DVA included)."""
    attrs["RA_REF"], attrs["DEC_REF"] = target
    for _ in range(50):
        ra, dec = (velocity_aberration(attrs) | v2v3_to_sky(attrs))(v2, v3)
        dra = (target[0] - ra + 180.0) % 360.0 - 180.0
        ddec = target[1] - dec
        attrs["RA_REF"] = float(attrs["RA_REF"] + dra)
        attrs["DEC_REF"] = float(attrs["DEC_REF"] + ddec)
        if abs(dra) < 1e-12 and abs(ddec) < 1e-12:
            break


def _base_attrs(
    exp_type: str, *, nints: int, ngroups: int, tgroup: float, start_mjd: float
) -> dict[str, Any]:
    slitless = exp_type == "MIR_LRS-SLITLESS"
    xs, ys, nx, ny = SLITLESS_SUBARRAY if slitless else (1, 1, FULL_SHAPE[1], FULL_SHAPE[0])
    effint = (ngroups - 1) * tgroup
    duration = nints * ngroups * tgroup
    iso = _iso(start_mjd)
    return {
        "TELESCOP": "JWST",
        "INSTRUME": "MIRI",
        "DETECTOR": "MIRIMAGE",
        "FILTER": "P750L",
        "EXP_TYPE": exp_type,
        "APERNAME": "MIRIM_SLITLESSPRISM" if slitless else "MIRIM_SLIT",
        "SUBARRAY": "SLITLESSPRISM" if slitless else "FULL",
        "SUBSTRT1": xs,
        "SUBSTRT2": ys,
        "SUBSIZE1": nx,
        "SUBSIZE2": ny,
        "FASTAXIS": 1,
        "SLOWAXIS": 2,
        "READPATT": "FASTR1",
        "NINTS": nints,
        "NGROUPS": ngroups,
        "NFRAMES": 1,
        "GROUPGAP": 0,
        "TFRAME": tgroup,
        "TGROUP": tgroup,
        "EFFINTTM": effint,
        "EFFEXPTM": effint * nints,
        "DURATION": duration,
        "DATE-OBS": iso[:10],
        "TIME-OBS": iso[11:],
        "EXPSTART": start_mjd,
        "EXPMID": start_mjd + duration / 2 / 86400,
        "EXPEND": start_mjd + duration / 86400,
        "TSOVISIT": slitless,
        "PROGRAM": "09999",
        "OBSERVTN": "001",
        "VISIT": "001",
        "TARGNAME": "SYNTHETIC-LRS",
        "TARG_RA": TARGET[0],
        "TARG_DEC": TARGET[1],
        "SRCTYAPT": "POINT",
        "BKGDTARG": False,
        "VPARITY": -1,
        "V3I_YANG": 4.83,
        "ROLL_REF": 254.3,
        "PA_V3": 254.3,
        "VA_SCALE": 1.0000123,
        "VELOSYS": -12345.6,
        "GAIN": GAIN,
    }


def _iso(mjd: float) -> str:
    from astropy.time import Time

    return Time(mjd, format="mjd", scale="utc").isot


# ------------------------------------------------------------ noise and files


def _observe(
    rate: np.ndarray, attrs: dict[str, Any], gen: np.random.Generator, dq_fraction: float
) -> dict[str, np.ndarray]:
    """Noisy rate, variances and DQ for noiseless ``rate`` (DN/s), one or more integrations."""
    t_eff = float(attrs["EFFINTTM"])
    n, tg = int(attrs["NGROUPS"]), float(attrs["TGROUP"])
    var_poisson = np.clip(rate, 0.0, None) / (GAIN * t_eff)
    var_rnoise = np.full(rate.shape, 12.0 * READ_NOISE**2 / (n * (n * n - 1) * tg * tg))
    sci = rate + gen.standard_normal(rate.shape) * np.sqrt(var_poisson + var_rnoise)
    dq = np.zeros(rate.shape, np.uint32)
    # MIRI reference columns: 4 on the left and right of the full frame
    x_full = np.arange(rate.shape[-1]) + attrs["SUBSTRT1"] - 1
    ref_cols = (x_full < 4) | (x_full >= FULL_SHAPE[1] - 4)
    dq[..., ref_cols] |= np.uint32(DQ.REFERENCE_PIXEL | DQ.DO_NOT_USE)
    hit = gen.random(rate.shape) < dq_fraction
    dead = gen.random(rate.shape[-2:]) < dq_fraction / 2
    dq[hit] |= np.uint32(DQ.JUMP_DET)
    dq[..., dead] |= np.uint32(DQ.HOT | DQ.DO_NOT_USE)
    bad = (dq & np.uint32(DQ.DO_NOT_USE)) != 0
    out = {"sci": sci, "var_poisson": var_poisson, "var_rnoise": var_rnoise}
    for key in out:
        out[key] = np.where(bad, np.nan, out[key]).astype(np.float32)
    out["err"] = np.sqrt(out["var_poisson"] + out["var_rnoise"]).astype(np.float32)
    out["dq"] = dq
    return out


def _write_exposure(
    path: Path, arrays: dict[str, np.ndarray], attrs: dict[str, Any], **kw: Any
) -> Path:
    ds = make_exposure(
        arrays["sci"],
        err=arrays["err"],
        dq=arrays["dq"],
        var_poisson=arrays["var_poisson"],
        var_rnoise=arrays["var_rnoise"],
        attrs=attrs,
        xstart=attrs["SUBSTRT1"],
        ystart=attrs["SUBSTRT2"],
        **kw,
    )
    ds = ds.drop_vars("var_flat")  # a rate file has no VAR_FLAT
    return write_fits(ds, path)


def _asn(path: Path, science: Path, backgrounds: list[Path]) -> Path:
    members = [{"expname": science.name, "exptype": "science"}]
    members += [{"expname": b.name, "exptype": "background"} for b in backgrounds]
    tree = {
        "asn_type": "spec2",
        "asn_rule": "Asn_Lv2SpecSpecial",
        "asn_id": "a3001",
        "program": "09999",
        "version_id": None,
        "code_version": "spec2x",
        "degraded_status": "No known degraded exposures in association.",
        "asn_pool": "synthetic",
        "target": "t001",
        "products": [{"name": science.name.rsplit("_", 1)[0], "members": members}],
    }
    path.write_text(json.dumps(tree, indent=2))
    return path


def make_lrs_fixedslit(
    folder: str | Path,
    seed: int = 0,
    *,
    flux_10um: float = 5e-9,
    nod_offset: float = 1.3,
    ngroups: int = 30,
    dq_fraction: float = 0.001,
    optics: LrsOptics = LRS_OPTICS,
) -> LrsObservation:
    """A nodded MIRI LRS fixed-slit pair (full frame ``rate`` files) with its references.

    Parameters
    ----------
    folder : output folder (created).
    seed : seeds the noise, the DQ and the flat; the same seed writes the same files.
    flux_10um : source F_nu at 10 µm, MJy (5e-9 MJy = 5 mJy).
    nod_offset : the two nods put the target at ±``nod_offset`` arcsec along the slit.
    ngroups : groups per integration (sets the exposure time and noise).
    dq_fraction : fraction of pixels flagged JUMP_DET (half as many HOT|DO_NOT_USE).

    Returns
    -------
    LrsObservation with exposures [nod A, nod B], each with an association
    that names the other nod as its background.
    """
    folder = Path(folder)
    refs = write_lrs_references(folder, "MIR_LRS-FIXEDSLIT", seed=seed, optics=optics)
    gen = rng(seed)
    zx, zy = optics.slit_ref[0] - 1, optics.slit_ref[1] - 1
    v2_ref, v3_ref = (float(v) for v in optics.v2v3(zx, zy))
    exposures, xs_all = [], []
    for number, sign in ((1, +1), (2, -1)):
        attrs = _base_attrs(
            "MIR_LRS-FIXEDSLIT",
            nints=1,
            ngroups=ngroups,
            tgroup=2.775,
            start_mjd=60370.4 + number * 0.01,
        )
        attrs.update(
            V2_REF=v2_ref, V3_REF=v3_ref, EXPOSURE=f"{number:05d}", PATTTYPE="ALONG-SLIT-NOD"
        )
        attrs.update(PATT_NUM=number, NUMDTHPT=2, PATTSTRT=1)
        # the target sits nod_offset arcsec along the slit (the detector x direction)
        dx = sign * nod_offset / optics.pixel_scale
        v2t, v3t = (float(v) for v in optics.v2v3(zx + dx, zy))
        _pointing(attrs, v2t, v3t, TARGET)
        xoff, yoff = _ideal_offset(attrs, v2t, v3t)
        attrs.update(XOFFSET=xoff, YOFFSET=yoff)
        attrs = _header_exact(attrs)
        scene = render(attrs, refs, optics, flux_10um)
        arrays = _observe(scene.rate + scene.background, attrs, gen, dq_fraction)
        name = f"jw09999001001_03101_{number:05d}_mirimage_rate.fits"
        attrs["FILENAME"] = name
        exposures.append(_write_exposure(folder / name, arrays, attrs))
        xs_all.append(scene.source_x)
    asns = [
        _asn(folder / "spec2x_lrs_nod_a_asn.json", exposures[0], [exposures[1]]),
        _asn(folder / "spec2x_lrs_nod_b_asn.json", exposures[1], [exposures[0]]),
    ]
    wl = np.linspace(4.0, 14.5, 1051)
    return LrsObservation(
        folder=folder,
        exposures=exposures,
        references=refs,
        wavelength=wl,
        flux=source_spectrum(wl, flux_10um),
        rows=scene.rows,
        source_x=xs_all,
        association=asns,
    )


def _header_exact(attrs: dict[str, Any]) -> dict[str, Any]:
    """Floats rounded to 13 significant digits, so each fits a FITS card exactly."""
    return {k: float(f"{v:.13g}") if isinstance(v, float) else v for k, v in attrs.items()}


def _ideal_offset(attrs: dict[str, Any], v2: float, v3: float) -> tuple[float, float]:
    """Ideal-frame (x, y) arcsec of (v2, v3) about the aperture reference (XOFFSET, YOFFSET)."""
    from stdatamodels.jwst.transforms.models import V2V3ToIdeal

    to_ideal = V2V3ToIdeal(attrs["V3I_YANG"], attrs["V2_REF"], attrs["V3_REF"], attrs["VPARITY"])
    x, y = to_ideal(v2, v3)
    return float(x), float(y)


def make_lrs_slitless_tso(
    folder: str | Path,
    seed: int = 0,
    *,
    nints: int = 150,
    depth: float = 0.01,
    flux_10um: float = 20e-9,
    ngroups: int = 10,
    dq_fraction: float = 0.0005,
    optics: LrsOptics = LRS_OPTICS,
) -> LrsObservation:
    """A MIRI LRS slitless time series (SLITLESSPRISM ``rateints``) with a transit.

    Parameters
    ----------
    folder : output folder (created).
    seed : seeds noise, DQ and flat.
    nints : integrations.
    depth : transit depth (fraction); the light curve is a trapezoid centred
        on the middle integration lasting 40 % of the series.
    flux_10um : source F_nu at 10 µm, MJy.
    ngroups : groups per integration (frame time 0.159 s).
    """
    folder = Path(folder)
    refs = write_lrs_references(folder, "MIR_LRS-SLITLESS", seed=seed, optics=optics)
    gen = rng(seed)
    tgroup = 0.15904
    attrs = _base_attrs(
        "MIR_LRS-SLITLESS", nints=nints, ngroups=ngroups, tgroup=tgroup, start_mjd=60371.2
    )
    zx, zy = optics.slitless_ref[0] - 1, optics.slitless_ref[1] - 1
    v2_ref, v3_ref = (float(v) for v in optics.v2v3(zx, zy))
    attrs.update(
        V2_REF=v2_ref, V3_REF=v3_ref, EXPOSURE="00001", XOFFSET=0.0, YOFFSET=0.0, PATTTYPE="NONE"
    )
    attrs.update(INTSTART=1, INTEND=nints)
    _pointing(attrs, v2_ref, v3_ref, TARGET)
    attrs = _header_exact(attrs)
    scene = render(attrs, refs, optics, flux_10um)
    t_int = ngroups * tgroup / 86400.0
    start = attrs["EXPSTART"] + np.arange(nints) * t_int
    mid = start + t_int / 2
    curve = transit_light_curve((np.arange(nints) + 0.5) / nints, depth)
    rate = curve[:, None, None] * scene.rate[None] + scene.background[None]
    arrays = _observe(rate, attrs, gen, dq_fraction)
    int_times = {
        "integration_number": np.arange(1, nints + 1, dtype=np.int32),
        "int_start_MJD_UTC": start,
        "int_mid_MJD_UTC": mid,
        "int_end_MJD_UTC": start + t_int,
        "int_start_BJD_TDB": start + 0.0042,
        "int_mid_BJD_TDB": mid + 0.0042,
        "int_end_BJD_TDB": start + t_int + 0.0042,
    }
    name = "jw09999002001_04101_00001_mirimage_rateints.fits"
    attrs["FILENAME"] = name
    path = _write_exposure(folder / name, arrays, attrs, int_times=int_times)
    wl = np.linspace(4.0, 14.5, 1051)
    return LrsObservation(
        folder=folder,
        exposures=[path],
        references=refs,
        wavelength=wl,
        flux=source_spectrum(wl, flux_10um),
        rows=scene.rows,
        source_x=[scene.source_x],
        times=mid,
        light_curve=curve,
        depth=depth,
    )
