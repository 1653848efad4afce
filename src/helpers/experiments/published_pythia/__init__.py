"""The published-Pythia chapter: arithmetic and MMLU-math along size, training compute and shots (tables and charts)."""
