"""The demo never runs on without a child it started: a dead child is restarted, a few times at most.

:func:`check_children` looks at every child once: a child that exited is started again (and waited for until
it listens) up to ``max_restarts`` times; after that, or when a restart does not come up, it returns why the
demo must stop. The demo calls it after starting each child and then every two seconds (:func:`watch`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hub.demo.processes import Children
from hub.errors import StartupTimeout

MAX_RESTARTS = 3
CHECK_EVERY_S = 2.0


def check_children(
    children: Children,
    env: dict[str, str],
    say: Callable[[str], None],
    *,
    max_restarts: int = MAX_RESTARTS,
    start_timeout: float = 120.0,
) -> str | None:
    """Restart each child that exited (``max_restarts`` times at most); why the demo must stop, or None."""
    for child in children.started:
        code = child.exit_code()
        if code is None:
            continue
        if child.restarts >= max_restarts:
            return (
                f"{child.name} exited with code {code} again after {child.restarts} restarts; "
                f"stopping everything. End of {child.log}: {child.tail(4)}"
            )
        child.restarts += 1
        count = f"{child.restarts}/{max_restarts}"
        say(f"{child.name} exited with code {code}; restarting it ({count}): {child.tail(2)}")
        child.start(env)
        try:
            child.wait_listening(start_timeout)
        except StartupTimeout as exc:
            if child.exit_code() is None:  # alive but not listening: restarting again would not help
                return f"{child.name} did not come back: {exc}"
            # died again while starting: the next check restarts it or gives up
    return None


async def watch(
    children: Children, env: dict[str, str], stop: asyncio.Event, say: Callable[[str], None]
) -> str | None:
    """Check the children every two seconds until ``stop``; a reason to stop is said and returned."""
    while not stop.is_set():
        await asyncio.sleep(CHECK_EVERY_S)
        reason = await asyncio.to_thread(check_children, children, env, say)
        if reason is not None:
            say(reason)
            stop.set()
            return reason
    return None
