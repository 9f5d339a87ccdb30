"""Usage events: the scope of the request being served, the events keytally itself makes, and storing them."""
