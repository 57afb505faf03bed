"""Releases: the Arrow schema, atomic Parquet writing, manifests, cards and verification."""
