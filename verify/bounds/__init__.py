"""What a numeric value may err by: intervals, rounding, the predicted bound, kinks."""
