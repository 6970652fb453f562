"""Ray for one build or many: start a local instance or join a cluster, route Ray's messages, stop.

``connect`` is called only when a build has stale tasks (a no-op build never imports Ray). Within
one process the connection is reused (``studio watch``); a build that ran alone ends it
(``RaySession.close``), which also stops a local instance studio started.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .base import ExecutorUnavailable

__all__ = ["RaySession", "connect", "route_messages_to"]

_messages: list[Callable[[str, str], None] | None] = [None]
"""Where Ray's own messages to the driver go (the running executor's warnings), or nowhere."""


def _route_messages(ray: Any) -> None:
    """Ray prints what raylets report (a worker that died, a task that ran out of memory) straight to
    the driver's stdout, which holds the build's summary. Route it into warnings instead (W610)."""
    worker = getattr(getattr(ray, "_private", None), "worker", None)
    if worker is None or not hasattr(worker, "print_to_stdstream"):
        return

    def routed(data: dict[str, Any], ignore_prefix: bool = False) -> None:
        sink = _messages[0]
        for line in data.get("lines") or []:
            text = str(line).strip()
            if text and sink is not None:
                sink("W610", f"Ray: {text.splitlines()[0]}")

    worker.print_to_stdstream = routed


@dataclass
class RaySession:
    ray: Any
    address: str | None
    started_here: bool
    """True when studio started the Ray instance (no autoscaler: the nodes are all there is)."""

    def close(self) -> None:
        """Disconnect (and stop the instance studio started): a second sooner than leaving it to exit."""
        try:
            self.ray.shutdown()
        except Exception:  # noqa: BLE001 - the build is over; a failing goodbye changes nothing
            pass


def connect(address: str | None) -> RaySession:
    """Join the cluster at ``address``, or start a local Ray instance; reused by later builds of
    the same process (``studio watch``)."""
    try:
        import ray
    except ImportError as exc:
        raise ExecutorUnavailable("--executor ray needs Ray, which is not installed: pip install 'studio[ray]'",
                                  "E601") from exc
    if ray.is_initialized():
        return RaySession(ray, address, address is None)
    _route_messages(ray)
    # The driver's own logging and the workers' output stay out of the build's stderr, which
    # carries progress (JSON lines with --format json) and nothing else.
    options: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
    try:
        if address:
            ray.init(address=address, **options)
        else:
            ray.init(address="local", include_dashboard=False, **options)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise ExecutorUnavailable(f"cannot {'join' if address else 'start'} {where}: {type(exc).__name__}: {exc}",
                                  "E602") from exc
    return RaySession(ray, address, address is None)




def route_messages_to(sink: Callable[[str, str], None] | None) -> None:
    """Where Ray's messages go while a build runs (its warnings), or nowhere (None)."""
    _messages[0] = sink
