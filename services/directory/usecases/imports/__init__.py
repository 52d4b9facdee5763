"""Importing users from a file: the preview (nothing written but the preview itself), the
apply job a batch at a time, the results."""
