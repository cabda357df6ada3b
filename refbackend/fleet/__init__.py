"""The operator's side: the fleet's configuration, view, forecasts, exports and collection list."""
