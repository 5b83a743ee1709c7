"""Charts: matplotlib plots and the month's publication set."""
