"""Kafka shell: the topic catalogue and its creation."""
