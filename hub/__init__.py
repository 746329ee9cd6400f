"""Samhandling event hub: shared facts about patient pathways across hospital and kommune."""

__version__ = "0.1.0"
