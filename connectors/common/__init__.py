"""What every connector shares: the record sink (Kafka or memory) and the ingest step (raw write or DLQ)."""
