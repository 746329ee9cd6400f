"""HL7 v2 ADT over MLLP: framing, parsing, ADT mapping, redaction, ACKs and the TCP listener."""
