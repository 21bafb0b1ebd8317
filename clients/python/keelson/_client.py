"""The reporting client: newline-delimited JSON over a non-blocking unix socket (and optional
localhost UDP). Fire and forget: never raises, never blocks, drops what cannot be sent now."""
import contextlib
import errno
import json
import math
import os
import socket
import threading
import time
from typing import Iterator, Optional

from ._env import detect

PHASES = ("train", "eval", "checkpoint", "idle")


def _num(x):
    """A JSON-safe number: NaN/Inf become the strings the agent understands."""
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


class Client:
    """One process's connection to the agent. Thread-safe; a contended call drops its report."""

    def __init__(
        self,
        socket_path: Optional[str] = None,
        job: Optional[str] = None,
        rank: Optional[int] = None,
        world: Optional[int] = None,
        node: Optional[str] = None,
        udp_port: Optional[int] = None,
        retry_interval: float = 1.0,
        max_retry_interval: float = 30.0,
        max_pending: int = 64 * 1024,
        enabled: Optional[bool] = None,
        env=None,
    ):
        ident = detect(env)
        self.socket_path = socket_path or ident["socket"]
        self.job = str(job if job is not None else ident["job"])
        self.rank = int(rank if rank is not None else ident["rank"])
        self.world = world if world is not None else ident["world"]
        self.node = node if node is not None else ident["node"]
        self.udp_port = udp_port if udp_port is not None else ident["udp_port"]
        self.enabled = (not ident["disabled"]) if enabled is None else bool(enabled)
        self.retry_interval = retry_interval
        self.max_retry_interval = max_retry_interval
        self.max_pending = max_pending
        self.last_step = 0
        self.sent = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self._sock = None
        self._udp = None
        self._pending = b""
        self._pid = os.getpid()
        self._next_try = 0.0
        self._backoff = retry_interval

    # ---- public API ----

    def report(self, step, loss=None, tokens=None, samples=None, step_ms=None, phase=None, restored_from=None) -> bool:
        """Report one step. Returns True when handed to the agent, False when dropped. Never raises."""
        try:
            if not self.enabled:
                return False
            step = int(step)
            if step < 0:
                return False
            if restored_from is not None:
                restored_from = int(restored_from)
                if restored_from < 0:
                    return False
            self.last_step = step
            rec = {"job": self.job, "rank": self.rank, "step": step, "ts": int(time.time() * 1000)}
            if self.world is not None:
                rec["world"] = int(self.world)
            if self.node:
                rec["node"] = self.node
            if loss is not None:
                rec["loss"] = _num(loss)
            if tokens is not None:
                rec["tokens"] = float(tokens)
            if samples is not None:
                rec["samples"] = float(samples)
            if step_ms is not None:
                rec["stepMs"] = float(step_ms)
            if restored_from is not None:
                rec["restoredFrom"] = restored_from
            if phase is not None:
                if phase not in PHASES:
                    return False
                rec["phase"] = phase
            line = (json.dumps(rec, separators=(",", ":"), allow_nan=False) + "\n").encode()
            return self._send(line)
        except Exception:
            self.dropped += 1
            return False

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """`with client.phase("checkpoint"):` - tells the agent a pause is expected, then back to train."""
        self.report(self.last_step, phase=name)
        try:
            yield
        finally:
            self.report(self.last_step, phase="train")

    def close(self) -> None:
        """Close the connection (pending bytes are dropped)."""
        with self._lock:
            self._drop_socket()
            if self._udp is not None:
                with contextlib.suppress(OSError):
                    self._udp.close()
                self._udp = None

    # ---- internals ----

    def _send(self, line: bytes) -> bool:
        if not self._lock.acquire(blocking=False):
            self.dropped += 1
            return False
        try:
            if os.getpid() != self._pid:
                # Forked (a data-loader worker): never share the parent's socket.
                self._sock = None
                self._udp = None
                self._pending = b""
                self._pid = os.getpid()
            ok = False
            if self.udp_port:
                ok = self._send_udp(line)
            if self._sock is None and not self._connect():
                if not ok:
                    self.dropped += 1
                return ok
            if len(self._pending) + len(line) > self.max_pending:
                self.dropped += 1
                self._flush()
                return ok
            self._pending += line
            self._flush()
            self.sent += 1
            return True
        finally:
            self._lock.release()

    def _connect(self) -> bool:
        now = time.monotonic()
        if now < self._next_try:
            return False
        s = None
        try:
            if self.socket_path.startswith("tcp://"):
                # localhost TCP (a container that cannot share the unix socket): tcp://127.0.0.1:PORT
                host, _, port = self.socket_path[len("tcp://"):].rpartition(":")
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                err = s.connect_ex((host or "127.0.0.1", int(port)))
                if err not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
                    raise OSError(err, os.strerror(err))
            else:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.setblocking(False)
                s.connect(self.socket_path)
        except (OSError, ValueError):
            if s is not None:
                with contextlib.suppress(OSError):
                    s.close()
            self._next_try = now + self._backoff
            self._backoff = min(self._backoff * 2, self.max_retry_interval)
            return False
        self._sock = s
        self._pending = b""
        self._backoff = self.retry_interval
        return True

    def _flush(self) -> None:
        if self._sock is None or not self._pending:
            return
        try:
            n = self._sock.send(self._pending)
            self._pending = self._pending[n:]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            # The agent went away: the partial line is lost (the agent drops it as malformed).
            self._drop_socket()
            self._next_try = time.monotonic() + self._backoff

    def _drop_socket(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
        self._sock = None
        self._pending = b""

    def _send_udp(self, line: bytes) -> bool:
        try:
            if self._udp is None:
                self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self._udp.setblocking(False)
            self._udp.sendto(line, ("127.0.0.1", self.udp_port))
            return True
        except OSError:
            return False
