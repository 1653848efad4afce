"""Rendering at the bottom layer: the chart theme and offline renderer, shared chart pieces, markdown tables."""
