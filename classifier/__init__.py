"""Embedding classifier: labels and actions from config, training, calibration, Decision."""
