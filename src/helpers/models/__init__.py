"""Models: the Pythia/OPT registry, tokenizers, and loading from every supported source."""
