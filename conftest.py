"""Collection for the doctests of verify/ (pyproject: --doctest-modules)."""

# Importing __main__ would run the command line.
collect_ignore = ["verify/__main__.py"]
