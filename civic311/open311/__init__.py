"""Open311 GeoReport v2 for every city: XML and JSON, the widely used extensions, keys and docs."""
