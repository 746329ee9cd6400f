"""Observability: the Prometheus metrics container (:mod:`hub.observability.metrics`)."""
