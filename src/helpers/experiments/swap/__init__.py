"""The attention-swap chapter: plan, computation through the store, the collapse rule, tables, sentences and charts."""
