"""Data made apart from the feature code, to judge the model on mechanisms we did not design it for."""
