"""Private infrastructure every layer may use, and that uses no layer: argument validation and units,
memory estimates, logging, version and provenance, progress bars, Numba's kernel cache and compile clock,
BLAS threads, optional extras, checksums of result files, whole-or-absent file writes, special functions for
the kernels.

Nothing here is public API; the modules are imported by their full path.
"""
