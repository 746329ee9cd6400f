"""``hub demo``: the whole hub on one machine — broker, registry, worker, connectors, simulator and board."""
