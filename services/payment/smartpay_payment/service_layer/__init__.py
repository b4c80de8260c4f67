"""Use cases: the saga's event handlers, the API's commands and queries, the sweeper."""
