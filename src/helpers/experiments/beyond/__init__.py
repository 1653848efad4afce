"""The "Beyond Pythia and OPT" chapter: 148 published models in 47 families (claims 6, 7 and 4c)."""
