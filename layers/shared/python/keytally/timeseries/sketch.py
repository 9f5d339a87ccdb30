"""Latency sketches: DDSketch at 1% relative accuracy, stored as its protobuf bytes so any buckets merge."""

from __future__ import annotations

from ddsketch import DDSketch

RELATIVE_ACCURACY = 0.01


def new_sketch() -> DDSketch:
    return DDSketch(RELATIVE_ACCURACY)


def to_bytes(sketch: DDSketch) -> bytes:
    from ddsketch.pb.proto import DDSketchProto  # imports protobuf: only the rollup and its readers pay for it

    return DDSketchProto.to_proto(sketch).SerializeToString(deterministic=True)


def from_bytes(data: bytes) -> DDSketch:
    from ddsketch.pb.ddsketch_pb2 import DDSketch as DDSketchMessage
    from ddsketch.pb.proto import DDSketchProto

    message = DDSketchMessage()
    message.ParseFromString(data)
    return DDSketchProto.from_proto(message)
