"""MLLP framing: partial reads, several frames per read, noise, oversize frames."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.hl7v2.mllp import FS, VT, Frame, FrameDecoder, frame


def test_frame_wraps_in_start_and_end_block() -> None:
    """frame() puts VT before and FS CR after the message."""
    assert frame(b"MSH|x") == b"\x0bMSH|x\x1c\r"


def test_byte_by_byte_feeding_yields_the_frame_once() -> None:
    """A frame fed one byte at a time comes out whole, exactly once, at its last byte."""
    decoder = FrameDecoder()
    data = frame(b"MSH|^~\\&|A\rPID|1")
    out: list[Frame] = []
    for i in range(len(data)):
        got = decoder.feed(data[i : i + 1])
        if i < len(data) - 1:
            assert got == []
        out += got
    assert out == [Frame(b"MSH|^~\\&|A\rPID|1")]
    assert decoder.pending == 0


def test_several_frames_in_one_read_come_out_in_order() -> None:
    """Three frames in one packet give three payloads in order."""
    decoder = FrameDecoder()
    data = frame(b"one") + frame(b"two") + frame(b"three")
    assert [f.payload for f in decoder.feed(data)] == [b"one", b"two", b"three"]


def test_noise_between_frames_is_skipped_and_counted() -> None:
    """Bytes outside blocks (e.g. keep-alive newlines) are ignored and counted as discarded."""
    decoder = FrameDecoder()
    assert [f.payload for f in decoder.feed(b"\r\n" + frame(b"a") + b"xx" + frame(b"b"))] == [b"a", b"b"]
    assert decoder.discarded == 4


def test_fs_without_cr_is_data_even_across_reads() -> None:
    """An FS not followed by CR (also when the read ends right after FS) is part of the message."""
    decoder = FrameDecoder()
    assert decoder.feed(VT + b"a" + FS) == []
    assert decoder.feed(b"b" + FS + b"\r") == [Frame(b"a\x1cb")]


def test_new_start_block_abandons_unfinished_frame() -> None:
    """A VT inside an unfinished block starts a new block; the old partial one is dropped."""
    decoder = FrameDecoder()
    assert decoder.feed(VT + b"partial" + frame(b"whole")) == [Frame(b"whole")]


def test_oversize_frame_is_truncated_and_marked() -> None:
    """A frame above max_size keeps only its head, is marked truncated, and the next frame is intact."""
    decoder = FrameDecoder(max_size=16)
    out = decoder.feed(frame(b"M" * 100) + frame(b"ok"))
    assert out == [Frame(b"M" * 16, truncated=True), Frame(b"ok")]


def test_max_size_must_be_sensible() -> None:
    """A max_size below 16 bytes is refused."""
    with pytest.raises(ValueError, match="max_size"):
        FrameDecoder(max_size=4)


@settings(max_examples=200, deadline=None)
@given(
    payloads=st.lists(st.binary(max_size=60).map(lambda b: b.replace(VT, b"").replace(FS, b"")), max_size=6),
    cuts=st.lists(st.integers(min_value=0, max_value=500), max_size=12),
)
def test_any_split_of_the_stream_gives_the_same_frames(payloads: list[bytes], cuts: list[int]) -> None:
    """However the byte stream is cut into reads, the decoded frames are the framed payloads, in order."""
    stream = b"".join(frame(p) for p in payloads)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    decoder = FrameDecoder()
    out: list[bytes] = []
    start = 0
    for point in [*points, len(stream)]:
        out += [f.payload for f in decoder.feed(stream[start:point])]
        start = point
    assert out == payloads


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_decoder(data: bytes) -> None:
    """Arbitrary bytes only ever yield frames no larger than max_size."""
    decoder = FrameDecoder(max_size=64)
    assert all(len(f.payload) <= 64 for f in decoder.feed(data))
