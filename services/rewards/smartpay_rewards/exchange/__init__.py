"""Redemption of points through an exchange: a constant-product pool on the chain, or a centralised exchange
through ccxt. Both answer the same port: a quote that expires, then a settlement that is all or nothing."""
