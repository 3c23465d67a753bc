"""Helpers shared by the WFSS tests: exposure keywords and jwst's grism WCS for the same files."""

from __future__ import annotations

from typing import Any

import numpy as np
from helpers import set_jwst_pointing

from spec2x.synthetic.nircam_wfss import WFSS_POINTING


def nrc_attrs(pupil: str = "GRISMR", **extra: Any) -> dict[str, Any]:
    """Keywords of a full-frame NIRCam WFSS exposure (module A long wave)."""
    attrs = dict(
        INSTRUME="NIRCAM",
        DETECTOR="NRCALONG",
        MODULE="A",
        CHANNEL="LONG",
        FILTER="F356W",
        PUPIL=pupil,
        EXP_TYPE="NRC_WFSS",
        **WFSS_POINTING,
    )
    attrs.update(extra)
    return attrs


def jwst_nircam_wfss(attrs: dict[str, Any], refs: dict[str, Any]) -> Any:
    """jwst 3.0.0's NIRCam WFSS gwcs (``jwst.assign_wcs.nircam.wfss``) for the same keywords."""
    from gwcs import wcs as gwcs_wcs
    from jwst.assign_wcs import nircam
    from stdatamodels.jwst.datamodels import ImageModel

    model = ImageModel(np.zeros((2048, 2048), np.float32))
    model.meta.exposure.type = attrs["EXP_TYPE"]
    for key in ("DETECTOR", "MODULE", "CHANNEL", "FILTER", "PUPIL"):
        setattr(model.meta.instrument, key.lower(), attrs[key])
    model.meta.instrument.name = attrs["INSTRUME"]
    set_jwst_pointing(model, attrs)
    return gwcs_wcs.WCS(nircam.wfss(model, {k: str(v) for k, v in refs.items()}))
