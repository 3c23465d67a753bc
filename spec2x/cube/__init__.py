"""IFU spectral cubes: the cube grid, the point cloud of detector pixels and the weightings.

Shared by the IFU modes (MIRI MRS now, NIRSpec IFU next): the instrument
packages give the point cloud (every valid pixel's sky position, corners and
wavelength extent); this package builds the grid jwst's ``cube_build``
defines and drops the pixels on it.

- :mod:`.cubepar`: the ``cubepar`` reference (cube scales, wavelength range, ROI).
- :mod:`.grid`: the tangent-plane grid (``skyalign``) from the footprint.
- :mod:`.drizzle`, :mod:`.shepard`: the 3-D drizzle and the (exponential)
  modified Shepard weightings, NumPy, in bounded chunks.
"""
