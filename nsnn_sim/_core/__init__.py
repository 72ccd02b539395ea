"""Private infrastructure of nsnn_sim: checks, memory estimates, logging, provenance, whole-or-absent file writes."""
