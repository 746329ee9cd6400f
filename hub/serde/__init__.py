"""Avro serialisation of topic records: single-object encoding and the Confluent wire format."""

from hub.serde.codec import Codec, TopicCodec, codec_for
from hub.serde.single_object import SingleObjectCodec, schema_fingerprint, schema_json

__all__ = ["Codec", "SingleObjectCodec", "TopicCodec", "codec_for", "schema_fingerprint", "schema_json"]
