"""Gateway connectors behind one capability interface (hyperswitch style)."""
