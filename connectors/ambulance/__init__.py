"""AMK ambulance dispatch connector: JSON mission events over HTTP or JSON-lines files."""
