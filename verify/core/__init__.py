"""Foundations every stage uses: the function registry and the statuses."""
