"""Where rows come from: each source serves chunks and reduces statistics over them."""

from .array import ArrayData, auto_chunk_rows

__all__ = ["ArrayData", "auto_chunk_rows"]
