"""Independent reader for the interop test: decodes Phoenix events with Confluent's Python
client (librdkafka + fastavro) through the registry's Confluent-compatible API, so the test does
not rely on Phoenix's own decoder. Prints one JSON object per event on stdout."""
import argparse
import json
import sys

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--brokers", required=True)
    p.add_argument("--registry", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--partition", type=int, required=True)
    p.add_argument("--offset", type=int, required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--timeout", type=float, default=20.0)
    a = p.parse_args()

    # httpx waits forever by default; a stalled registry request is retried by the client instead.
    registry = SchemaRegistryClient({"url": a.registry, "timeout": 10})
    deserialize = AvroDeserializer(registry)
    consumer = Consumer({"bootstrap.servers": a.brokers, "group.id": "phoenix-interop", "enable.auto.commit": False})
    consumer.assign([TopicPartition(a.topic, a.partition, a.offset)])
    remaining = a.count
    while remaining > 0:
        msg = consumer.poll(a.timeout)
        if msg is None:
            print(f"timed out with {remaining} event(s) unread", file=sys.stderr)
            return 2
        if msg.error():
            print(str(msg.error()), file=sys.stderr)
            return 1
        value = msg.value()
        event = deserialize(value, SerializationContext(a.topic, MessageField.VALUE))
        print(json.dumps({"magic": value[0], "schemaId": int.from_bytes(value[1:5], "big"), "offset": msg.offset(), "event": event}, default=str))
        remaining -= 1
    consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
