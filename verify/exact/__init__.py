"""The exact side: SymPy derivatives evaluated with mpmath, series, Taylor, radius, minimisers."""
