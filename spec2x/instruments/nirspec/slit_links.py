"""The slit-frame links of a NIRSpec aperture's WCS (GWA <-> slit frame), from shared pieces.

Every fixed slit, MSA slitlet and IFU slice of an exposure has its own
``gwa2slit`` transform, but most of its parts carry no parameter of the
aperture (``Identity``, ``Mapping``, the incident-cosine head) or depend only
on the slit's extent (the y mask): those are the same objects for every
aperture, so a product file writes each once (a YAML anchor, aliases after)
and asdf converts each once.  Never change one in place.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from astropy.modeling import models as am
from astropy.modeling.models import Identity
from astropy.modeling.models import Mapping as AxisMapping

from . import wcs as nm

__all__ = ["axis_mapping", "gwa_to_slit_model", "gwa_to_ymsa", "identity"]


def gwa_to_ymsa(msa2gwa: Any, ymin: float, ymax: float, lam: float | None = None) -> Any:
    """y_slit as a function of the incident beta at the GWA (tabulated along the slit).

    ``lam`` (m): the wavelength at which a wavelength-dependent ``msa2gwa`` (the
    IFU's, through ifupost) is evaluated.
    """
    dy = np.linspace(ymin, ymax, 1000)
    args = (np.zeros(dy.shape), dy) + (() if lam is None else ([lam] * dy.size,))
    beta_in = msa2gwa(*args)[1]
    return am.Tabular1D(points=(beta_in,), lookup_table=dy, bounds_error=False, name="tabular")


@functools.cache
def identity(n_inputs: int) -> Any:
    """One ``Identity(n_inputs)`` shared by every aperture's WCS (written once per file)."""
    return Identity(n_inputs)


@functools.cache
def axis_mapping(mapping: tuple[int, ...], n_inputs: int | None = None) -> Any:
    """One ``Mapping(mapping, n_inputs)`` shared by every aperture's WCS."""
    return AxisMapping(mapping, n_inputs=n_inputs)


@functools.cache
def _incident_cosines() -> Any:
    """Outgoing (alpha, beta, gamma) -> (0, -beta, alpha, beta), shared by every aperture."""
    return axis_mapping((0, 1, 0, 1), 3) | (
        am.Const1D(0) * identity(1) & am.Const1D(-1) * identity(1) & identity(2)
    )


@functools.lru_cache(maxsize=64)
def _mask_slit(ymin: float, ymax: float) -> Any:
    """:func:`.wcs.mask_slit`, one model per slit extent (apertures of the same extent share it)."""
    return nm.mask_slit(ymin, ymax)


def gwa_to_slit_model(
    msa2gwa: Any, gwa2ymsa: Any, lgreq: Any, ymin: float, ymax: float, *, lam_input: bool = False
) -> Any:
    """Outgoing GWA direction cosines -> (x_slit, y_slit, lambda [m]) for a slit whose
    ``msa2gwa`` takes (x_slit, y_slit) or, with ``lam_input``, (x_slit, y_slit, ignored).

    Its parameter-free parts are the same objects for every aperture (and the
    y mask for apertures of one extent): the numbers are those of new ones.
    """
    split = axis_mapping((0, 1, 0, 1, 1, 2, 3) if lam_input else (0, 1, 0, 1, 2, 3))
    return (
        _incident_cosines()
        | identity(1) & gwa2ymsa & identity(2)
        | split
        | identity(2) & msa2gwa & identity(2)
        | axis_mapping((0, 1, 2, 3, 5), 7)
        | identity(2) & lgreq
        | _mask_slit(float(ymin), float(ymax))
    )
