"""Keelson training client: `keelson.report(step, loss=..., tokens=...)` and
`with keelson.phase("checkpoint"):`. Standard library only; never raises, never blocks."""
import threading
from typing import Optional

from ._client import PHASES, Client
from ._env import DEFAULT_SOCKET, detect

__all__ = ["Client", "report", "phase", "configure", "get_client", "detect", "PHASES", "DEFAULT_SOCKET"]
__version__ = "0.1.0"

_default: Optional[Client] = None
_init_lock = threading.Lock()


def get_client() -> Client:
    """The process-wide client, created from the environment on first use."""
    global _default
    c = _default
    if c is None:
        with _init_lock:
            if _default is None:
                _default = Client()
            c = _default
    return c


def configure(**kwargs) -> Client:
    """Replace the process-wide client (same arguments as Client)."""
    global _default
    with _init_lock:
        if _default is not None:
            _default.close()
        _default = Client(**kwargs)
        return _default


def report(step, loss=None, tokens=None, samples=None, step_ms=None, phase=None, restored_from=None) -> bool:
    """Report one training step to the local agent. Returns False (never raises) when dropped.

    Pass `restored_from=<checkpoint step>` with the first step after loading a checkpoint: the
    collector dates the recovery and counts the steps redone since that checkpoint.
    """
    try:
        return get_client().report(
            step, loss=loss, tokens=tokens, samples=samples, step_ms=step_ms, phase=phase, restored_from=restored_from
        )
    except Exception:
        return False


def phase(name: str):
    """Context manager marking an eval or checkpoint pause: `with keelson.phase("checkpoint"): ...`."""
    return get_client().phase(name)
