"""Operator actions on the platform (replay, tail, redrive), independent of any CLI."""
