"""NIRISS: the SOSS references, traces, wavelength maps and WCS; the WFSS grism WCS."""
