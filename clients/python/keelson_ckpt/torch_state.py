"""A torch helper: save a state_dict's tensors raw, with dtype and shape, when torch is importable.

torch is optional: this module imports it lazily, and only needs objects exposing the tensor
interface used here (detach, cpu, contiguous, numpy or untyped_storage, dtype, shape).
"""


def tensor_bytes(t):
    """A buffer-protocol view of a CPU copy of the tensor's bytes (one copy at most)."""
    t = t.detach().cpu().contiguous()
    try:
        return memoryview(t.numpy()).cast("B")
    except (TypeError, RuntimeError, AttributeError):
        # dtypes numpy lacks (bfloat16): reinterpret the storage as bytes.
        return memoryview(bytes(t.untyped_storage()))


def save_state_dict(checkpointer, step, state_dict):
    """Save every tensor of `state_dict` (non-tensors are skipped) with dtype/shape metadata."""
    shards, meta = {}, {}
    for name, t in state_dict.items():
        if not hasattr(t, "detach") or not hasattr(t, "shape"):
            continue
        shards[name] = tensor_bytes(t)
        meta[name] = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape)}
    return checkpointer.save(step, shards, meta=meta)


def torch_available():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False
