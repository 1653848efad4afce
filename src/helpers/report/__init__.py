"""The book: the claims and their verdicts, the generated pages and the build; it reads experiments and computes
nothing new.
"""
