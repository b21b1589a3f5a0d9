"""Composition root and channels: app factory, config, CLI, pipeline, adapters, reply templates."""
