"""The experiments: a registry, one configure(), evaluation through the store stack, shipping and verification,
and one package per chapter.
"""
