"""The numeric side: finite differences, compiled functions, backprop, descent, error curves."""
