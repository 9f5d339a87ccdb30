"""Latency sketches: DDSketch at 1% relative accuracy, stored as its protobuf bytes so any buckets merge.

The library's dense store preallocates bins in chunks of 128 and serialises all of them (~1 KB for one value);
only the span from the first to the last non-empty bin is kept, which reads back to the same sketch.
"""

from __future__ import annotations

from ddsketch import DDSketch

RELATIVE_ACCURACY = 0.01


def new_sketch() -> DDSketch:
    return DDSketch(RELATIVE_ACCURACY)


def to_bytes(sketch: DDSketch) -> bytes:
    from ddsketch.pb.proto import DDSketchProto  # imports protobuf: only the rollup and its readers pay for it

    message = DDSketchProto.to_proto(sketch)
    for store in (message.positiveValues, message.negativeValues):
        counts = list(store.contiguousBinCounts)
        used = [index for index, count in enumerate(counts) if count]
        del store.contiguousBinCounts[:]
        if used:
            store.contiguousBinCounts.extend(counts[used[0] : used[-1] + 1])
            store.contiguousBinIndexOffset += used[0]
        else:
            store.contiguousBinIndexOffset = 0
    data: bytes = message.SerializeToString(deterministic=True)
    return data


def from_bytes(data: bytes) -> DDSketch:
    from ddsketch.pb.ddsketch_pb2 import DDSketch as DDSketchMessage
    from ddsketch.pb.proto import DDSketchProto

    message = DDSketchMessage()
    message.ParseFromString(data)
    sketch: DDSketch = DDSketchProto.from_proto(message)
    return sketch
