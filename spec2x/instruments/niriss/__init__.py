"""NIRISS: the SOSS references, traces, wavelength maps and WCS."""
