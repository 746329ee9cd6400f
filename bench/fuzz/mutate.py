"""Input generators for the fuzz bench: structural and byte mutations of real samples, long digit runs,
valid person numbers in odd places, and near-limit sizes. Deterministic for a seed."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from datetime import date

from hub.identity.numbers import NumberKind
from hub.identity.synthetic import synthetic_number

_BORN = [date(1930 + i * 3, 1 + i % 12, 1 + i % 28) for i in range(20)]
NUMBERS = [synthetic_number(b, 10 + i, female=i % 2 == 0) for i, b in enumerate(_BORN)]
"""Valid synthetic person numbers the mutations plant; none may reach an output."""
_D_NUMBERS = [
    synthetic_number(b, 20 + i, female=i % 2 == 1, kind=NumberKind.DNR) for i, b in enumerate(_BORN)
]
DELIMS = [
    b"|",
    b"^",
    b"~",
    b"\\",
    b"&",
    b"\r",
    b"\n",
    b"<",
    b">",
    b"/",
    b'"',
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
]
JUNK = [b"\x00", b"\xff", b"\xc3", b"\xe2\x80", b"&amp;", b"]]>", b"<!--", b"\x0b", b"\x1c"]


def _planted(rng: random.Random) -> bytes:
    number = rng.choice(NUMBERS)
    style = rng.randrange(3)
    if style == 0:
        return number.encode()
    if style == 1:
        return f"{number[:6]} {number[6:]}".encode()
    return f"PID|1||{number}^^^FNR|".encode()


def _digits(rng: random.Random) -> bytes:
    size = rng.choice([11, 12, 35, 64, 200, 2000, 20000])
    run = "".join(rng.choice("0123456789") for _ in range(min(size, 64)))
    return (run * (size // len(run) + 1))[:size].encode() + rng.choice([b"", b"x", b".", b"a"])


def byte_mutation(data: bytes, rng: random.Random) -> bytes:
    """Flip, delete, duplicate, insert or truncate."""
    if not data:
        return rng.choice(JUNK)
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        i = rng.randrange(len(buf) + 1)
        j = min(len(buf), i + rng.randint(1, 64))
        if op == 0 and buf:
            buf[min(i, len(buf) - 1)] = rng.randrange(256)
        elif op == 1:
            del buf[i:j]
        elif op == 2:
            buf[i:i] = buf[i:j] * rng.randint(1, 8)
        elif op == 3:
            buf[i:i] = rng.choice(DELIMS + JUNK)
        elif op == 4:
            buf[i:i] = _digits(rng)
        elif op == 5:
            buf[i:i] = _planted(rng)
        else:
            del buf[rng.randrange(len(buf) + 1) :]
    return bytes(buf)


def line_mutation(data: bytes, rng: random.Random, sep: bytes) -> bytes:
    """Structural: drop, duplicate, swap or plant person numbers in whole lines / segments / elements."""
    parts = data.split(sep)
    if len(parts) < 2:
        return byte_mutation(data, rng)
    op = rng.randrange(5)
    i, j = rng.randrange(len(parts)), rng.randrange(len(parts))
    if op == 0:
        del parts[i]
    elif op == 1:
        parts.insert(i, parts[j])
    elif op == 2:
        parts[i], parts[j] = parts[j], parts[i]
    elif op == 3:
        parts[i] = parts[i] + _planted(rng)
    else:
        parts.insert(i, parts[i] * rng.randint(2, 50))
    return sep.join(parts)


def digit_swap(data: bytes, rng: random.Random) -> bytes:
    """Replace an existing digit run with a valid person number or D-nummer (numbers in odd places)."""
    import re

    runs = [m.span() for m in re.finditer(rb"\d{4,}", data)]
    if not runs:
        return data + _planted(rng)
    a, b = rng.choice(runs)
    number = rng.choice(NUMBERS + _D_NUMBERS).encode()
    return data[:a] + number + data[b:]


def json_mutation(data: bytes, rng: random.Random) -> bytes:
    """Structural JSON: drop keys, replace values with digit runs / person numbers / deep nesting."""
    try:
        tree = json.loads(data)
    except ValueError:
        return byte_mutation(data, rng)
    nodes: list[dict[str, object] | list[object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            nodes.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            nodes.append(node)
            for v in node:
                walk(v)

    walk(tree)
    if not nodes:
        return byte_mutation(data, rng)
    node = rng.choice(nodes)
    values: list[object] = [
        rng.choice(NUMBERS),
        f"Patient/{rng.choice(NUMBERS)}",
        f"urn:oid:2.16.578.1.12.4.1.4.1|{rng.choice(NUMBERS)}",
        _digits(rng).decode(),
        None,
        [],
        {},
        "x" * rng.choice([0, 1, 300, 70000]),
        [[[[[[[[[[[]]]]]]]]]]],
        -1,
        1e308,
        True,
    ]
    if isinstance(node, dict) and node:
        key = rng.choice(list(node))
        if rng.random() < 0.3:
            del node[key]
        else:
            node[key] = rng.choice(values)
    elif isinstance(node, list) and node:
        node[rng.randrange(len(node))] = rng.choice(values)
    return json.dumps(tree, ensure_ascii=rng.random() < 0.5).encode()


def near_limit(data: bytes, rng: random.Random, limit: int) -> bytes:
    """Padded to just under, at or just over ``limit`` bytes (with a comment/field the format tolerates)."""
    target = limit + rng.choice([-64, -1, 0, 1, 64])
    pad = max(0, target - len(data))
    return data + b" " * pad


Mutator = Callable[[bytes, random.Random], bytes]


def generator(
    seeds: Sequence[bytes], mutators: Sequence[tuple[float, Mutator]], *, seed: int
) -> Callable[[], bytes]:
    """A function returning the next input: a seed sample through one to three weighted mutations."""
    rng = random.Random(seed)
    weights = [w for w, _ in mutators]
    funcs = [m for _, m in mutators]

    def next_input() -> bytes:
        data = rng.choice(seeds)
        for _ in range(rng.choice((1, 1, 2, 3))):
            data = rng.choices(funcs, weights)[0](data, rng)
        return data

    return next_input
