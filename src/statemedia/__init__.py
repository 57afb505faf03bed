"""statemedia: a versioned, provenance-tracked corpus of Russian official foreign-policy messaging."""

__version__ = "0.1.0"
