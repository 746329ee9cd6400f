"""Operator and subscriber tooling: the published topic contract (AsyncAPI), the schema evolution gate, dead
letters and message search."""
