"""Analytics over the time series: the shared query path (query.py) and one module per endpoint."""
