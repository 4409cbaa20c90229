"""The factors every judgement shares, stated in every report that uses them."""

SAFETY = 2.0  # one factor over each predicted bound: bound = SAFETY x (truncation + rounding) + shift
