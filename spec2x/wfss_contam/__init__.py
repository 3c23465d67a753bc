"""WFSS contamination: the forward model of a dispersed exposure from its direct image.

:mod:`.scene` turns the segmentation map and direct image into pixel lists,
:mod:`.orders` chooses the orders and their sensitivities, :mod:`.simulate`
disperses every source's pixels through the grism WCS (the array work in
:mod:`spec2x._kernels.wfss_disperse`).  The step is :mod:`spec2x.steps.wfss_contam`.
"""
