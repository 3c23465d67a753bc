"""Synthetic JWST instruments: exposures and CRDS-format reference files.

Every builder takes a seed (or a ``numpy.random.Generator``) and returns
files or Datasets together with the truth injected into them.
"""
