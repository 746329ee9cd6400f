"""MLLP framing (HL7 v2 Minimal Lower Layer Protocol): ``<VT> message <FS><CR>``.

:class:`FrameDecoder` is sans-I/O: feed it whatever a socket read returned (half a frame, several frames,
noise between frames) and it hands back complete frames in order. A frame larger than ``max_size`` is not
buffered: the decoder keeps its first ``max_size`` bytes (enough to read MSH and answer the sender), discards
the rest up to the end block and marks the frame ``truncated``.
"""

from __future__ import annotations

from dataclasses import dataclass

VT = b"\x0b"
FS = b"\x1c"
CR = b"\r"
END = FS + CR
DEFAULT_MAX_SIZE = 1024 * 1024


def frame(payload: bytes) -> bytes:
    """Wrap one HL7 message in an MLLP block."""
    return VT + payload + END


@dataclass(frozen=True, slots=True)
class Frame:
    """One MLLP block: its payload, and whether it exceeded the size limit (then ``payload`` is its head)."""

    payload: bytes
    truncated: bool = False


class FrameDecoder:
    """Streaming MLLP decoder, robust to partial reads and to several frames in one read.

    Bytes outside a block are skipped (counted in ``discarded``); a ``<VT>`` inside an unfinished block starts
    a new block (the sender gave up on the old one); an ``<FS>`` not followed by ``<CR>`` is message data.
    """

    def __init__(self, max_size: int = DEFAULT_MAX_SIZE) -> None:
        if max_size < 16:
            raise ValueError("max_size must be at least 16 bytes")
        self.max_size = max_size
        self._buf = bytearray()
        self._in_frame = False
        self._truncated = False
        self._tail_fs = False
        self.discarded = 0
        """Bytes seen outside any block, or in abandoned blocks, for diagnostics."""

    @property
    def in_frame(self) -> bool:
        """True while a block has started (``<VT>`` seen) and not ended."""
        return self._in_frame

    @property
    def pending(self) -> int:
        """Bytes of an unfinished block held in the buffer."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        """Consume ``data``; return every frame it completes, in order."""
        frames: list[Frame] = []
        i, n = 0, len(data)
        while i < n:
            if not self._in_frame:
                j = data.find(VT, i)
                if j < 0:
                    self.discarded += n - i
                    break
                self.discarded += j - i
                self._start()
                i = j + 1
                continue
            if self._tail_fs:
                self._tail_fs = False
                if data[i : i + 1] == CR:
                    frames.append(self._finish())
                    i += 1
                    continue
                self._store(FS)
            j = _first_of(data, i)
            if j < 0:
                self._store(data[i:])
                break
            self._store(data[i:j])
            if data[j : j + 1] == VT:
                self.discarded += len(self._buf)
                self._start()
                i = j + 1
            elif j + 1 == n:
                self._tail_fs = True
                i = n
            elif data[j + 1 : j + 2] == CR:
                frames.append(self._finish())
                i = j + 2
            else:
                self._store(FS)
                i = j + 1
        return frames

    def _start(self) -> None:
        self._in_frame, self._truncated, self._tail_fs = True, False, False
        self._buf.clear()

    def _finish(self) -> Frame:
        done = Frame(bytes(self._buf), self._truncated)
        self._buf.clear()
        self._in_frame = False
        return done

    def _store(self, chunk: bytes) -> None:
        room = self.max_size - len(self._buf)
        if len(chunk) > room:
            self._buf += chunk[: max(room, 0)]
            self._truncated = True
        else:
            self._buf += chunk


def _first_of(data: bytes, start: int) -> int:
    """Index of the first FS or VT at or after ``start``, or -1."""
    fs, vt = data.find(FS, start), data.find(VT, start)
    if fs < 0:
        return vt
    if vt < 0:
        return fs
    return min(fs, vt)
