"""The scaling chapter: loss and accuracy against parameters, fits within families, the smallest-to-largest changes."""
