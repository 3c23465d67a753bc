"""Readers for the MIRI MRS reference files the WCS needs.

All four are ASDF files laid out as jwst's datamodels have them:

- ``distortion`` (``DistortionMRSModel``): per slice of the two channels of
  one detector and band, the ``alpha_model``, ``beta_model`` (detector ->
  along/across-slice arcsec), ``x_model``, ``y_model`` (alpha, lambda ->
  detector), the ``slices`` labels (``100 * channel + slice``), ``bzero`` /
  ``bdel`` (beta of slice 1 and the slice width by ``<channel><band>``) and
  ``abv2v3_model`` (alpha, beta -> V2, V3 arcsec by ``<channel><band>``);
- ``specwcs`` (``SpecwcsModel``): ``model`` (detector -> lambda µm) per slice;
- ``wavelengthrange`` (``WavelengthrangeModel``): ``wavelengthrange`` (µm)
  by ``waverange_selector`` (``1SHORT`` ...);
- ``regions`` (``RegionsModel``): the slice label of every detector pixel,
  as a stack of planes by throughput (10 % ... 90 %, jwst 3.0 uses the
  80 % plane), or the older single 2-D map.

:mod:`spec2x.io.ref_readers` hands a MIRI ``distortion``/``specwcs`` file of
an MRS detector (``MIRIFUSHORT``, ``MIRIFULONG``) to the readers below; the
imager (LRS) files of the same types open as before.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import ReferenceMismatchError
from ...io.references import Reference, reference_content, reference_tree, require_keys

__all__ = [
    "MRS_DETECTORS",
    "REGIONS_THROUGHPUTS",
    "MrsDistortion",
    "MrsRegions",
    "MrsSpecwcs",
    "mrs_reference",
    "read_miri_distortion",
    "read_miri_specwcs",
    "read_mrs_regions",
    "read_mrs_wavelengthrange",
]

#: The MRS detectors: channels 1-2 and channels 3-4.
MRS_DETECTORS = ("MIRIFUSHORT", "MIRIFULONG")
#: Throughput threshold of each plane of a current-format regions file.
REGIONS_THROUGHPUTS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class MrsDistortion:
    """Content of a MIRI MRS ``distortion`` reference (two channels, one band).

    Attributes
    ----------
    slices : slice labels (``100 * channel + slice number``), in model order.
    alpha, beta : per slice, (y, x) pixel -> alpha, and x -> beta (arcsec).
    x, y : per slice, (lambda µm, alpha arcsec) -> detector x, y (0-based pixels).
    beta_zero, beta_delta : ``<channel><band>`` -> beta of slice 1, slice width (arcsec).
    v2v3 : ``<channel><band>`` -> (alpha, beta) -> (V2, V3) arcsec, with its inverse.
    """

    slices: tuple[int, ...]
    alpha: tuple[Any, ...]
    beta: tuple[Any, ...]
    x: tuple[Any, ...]
    y: tuple[Any, ...]
    beta_zero: Mapping[str, float]
    beta_delta: Mapping[str, float]
    v2v3: Mapping[str, Any]


@dataclass(frozen=True)
class MrsSpecwcs:
    """Content of a MIRI MRS ``specwcs``: per slice, (y, x) pixel -> lambda (µm)."""

    slices: tuple[int, ...]
    wavelength: tuple[Any, ...]


@dataclass(frozen=True)
class MrsRegions:
    """Content of a MIRI MRS ``regions`` reference.

    Attributes
    ----------
    planes : (plane, y, x) slice labels, 0 outside every slice; one plane per
        throughput of :data:`REGIONS_THROUGHPUTS`, or a single plane (the
        older 2-D ground map, whatever its threshold).
    """

    planes: np.ndarray

    def label_map(self, throughput: float = 0.8) -> np.ndarray:
        """The (y, x) slice labels at ``throughput`` (jwst: 0.8); a 2-D file's only map."""
        if self.planes.shape[0] == 1:
            return self.planes[0]
        if self.planes.shape[0] != len(REGIONS_THROUGHPUTS):
            raise ReferenceMismatchError(
                f"regions has {self.planes.shape[0]} planes; a current-format file has "
                f"{len(REGIONS_THROUGHPUTS)} (throughput 10 % ... 90 %)"
            )
        return self.planes[int(np.argmin(np.abs(np.asarray(REGIONS_THROUGHPUTS) - throughput)))]


def _need(tree: Mapping[str, Any], path: str, keys: tuple[str, ...], what: str) -> None:
    require_keys(tree, path, keys, f"MIRI MRS {what} reference")


def _by_channel(node: Mapping[str, Any], values: str) -> dict[str, Any]:
    return dict(zip(node["channel_band"], node[values], strict=True))


def _mrs(header: Mapping[str, Any]) -> bool:
    return str(header.get("DETECTOR", "")).strip().upper() in MRS_DETECTORS


def _generic(path: str, header: dict[str, Any]) -> Reference:
    from ...io.ref_open import generic_reader

    return generic_reader(path, header)


def read_miri_distortion(path: str, header: dict[str, Any]) -> Reference:
    """Open a MIRI ``distortion``: an MRS one as :class:`MrsDistortion`, the imager's as its tree."""
    if not _mrs(header):
        return _generic(path, header)
    tree = reference_tree(path)
    keys = ("slices", "alpha_model", "beta_model", "x_model", "y_model", "bzero", "bdel")
    _need(tree, path, (*keys, "abv2v3_model"), "distortion")
    slices = tuple(int(s) for s in tree["slices"])
    alpha, beta, x, y = (tuple(tree[k]) for k in keys[1:5])
    if any(len(m) != len(slices) for m in (alpha, beta, x, y)):
        raise ReferenceMismatchError(
            f"{path}: the slice models do not match the {len(slices)} slices"
        )
    content = MrsDistortion(
        slices,
        alpha,
        beta,
        x,
        y,
        beta_zero={k: float(v) for k, v in _by_channel(tree["bzero"], "beta_zero").items()},
        beta_delta={k: float(v) for k, v in _by_channel(tree["bdel"], "delta_beta").items()},
        v2v3=_by_channel(tree["abv2v3_model"], "model"),
    )
    return Reference("distortion", path, header, content)


def read_miri_specwcs(path: str, header: dict[str, Any]) -> Reference:
    """Open a MIRI ``specwcs``: an MRS one as :class:`MrsSpecwcs`, the LRS table as its HDUs."""
    if not _mrs(header):
        return _generic(path, header)
    tree = reference_tree(path)
    _need(tree, path, ("slices", "model"), "specwcs")
    slices = tuple(int(s) for s in tree["slices"])
    if len(tree["model"]) != len(slices):
        raise ReferenceMismatchError(
            f"{path}: {len(tree['model'])} models for {len(slices)} slices"
        )
    return Reference("specwcs", path, header, MrsSpecwcs(slices, tuple(tree["model"])))


def read_mrs_wavelengthrange(path: str, header: dict[str, Any]) -> Reference:
    """Open the MIRI MRS ``wavelengthrange``: ``content`` maps ``<channel><band>`` to (low, high) µm."""
    tree = reference_tree(path)
    _need(tree, path, ("wavelengthrange", "waverange_selector"), "wavelengthrange")
    ranges = {
        str(k): (float(v[0]), float(v[1]))
        for k, v in zip(tree["waverange_selector"], tree["wavelengthrange"], strict=True)
    }
    return Reference("wavelengthrange", path, header, ranges)


def read_mrs_regions(path: str, header: dict[str, Any]) -> Reference:
    """Open a MIRI MRS ``regions`` file of either format as :class:`MrsRegions`."""
    tree = reference_tree(path)
    _need(tree, path, ("regions",), "regions")
    planes = np.asarray(tree["regions"])
    if planes.ndim == 2:
        planes = planes[None]
    if planes.ndim != 3:
        raise ReferenceMismatchError(
            f"{path}: regions has shape {planes.shape}; expected (plane, y, x) or (y, x)"
        )
    if not np.issubdtype(planes.dtype, np.integer):  # labels: the file's integers (int16, a
        planes = planes.astype(np.int32)  # CRDS file: half the memory of int32 for the run)
    return Reference("regions", path, header, MrsRegions(planes))


def mrs_reference(
    ref: Reference | str | os.PathLike[str],
    reftype: str,
    kind: type,
    attrs: Mapping[str, Any] | None = None,
) -> Any:
    """The content of an MRS reference (opened or a path), checked against the exposure.

    Parameters
    ----------
    ref : an opened reference or a path.
    reftype : ``distortion``, ``specwcs``, ``wavelengthrange`` or ``regions``.
    kind : the content type expected (:class:`MrsDistortion` ...; ``dict`` for wavelengthrange).
    attrs : exposure keywords; INSTRUME, DETECTOR, CHANNEL and BAND of the
        file must fit them (``N/A`` in the file fits any).

    Raises
    ------
    ReferenceMismatchError
        The file is not the MRS kind, or is for another detector, channel or band.
    """
    keys = ("INSTRUME", "DETECTOR", "CHANNEL", "BAND")
    return reference_content(ref, reftype, kind, f"MIRI MRS {reftype}", attrs, keys)
