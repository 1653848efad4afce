"""The task-contrast chapter: knowledge, procedure and pattern matching side by side on the same models."""
