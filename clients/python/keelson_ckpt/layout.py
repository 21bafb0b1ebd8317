"""The shm slot layout and protocol shared with the agent (agent/checkpoint/FORMAT.md).

Pure path helpers and the slot choice, plus the writer's claim/commit steps. Stdlib only.
"""
import json
import os

SLOT_FORMAT = "keelson.slot/1"
SHARD_ALIGN = 4096
DATA, COMMIT, PINNED, WRITING, SUMS = "data", "COMMIT", "COMMIT.pinned", "WRITING", "SUMS"


def align_up(n, align=SHARD_ALIGN):
    return (n + align - 1) // align * align


def layout_shards(sizes):
    """Offsets of shards laid back to back at aligned offsets, and the bytes used."""
    offsets, at = [], 0
    for s in sizes:
        offsets.append(at)
        at = align_up(at + s)
    return offsets, at


def rank_dir(root, job, rank):
    return os.path.join(root, job, "rank-%05d" % rank)


def slot_dir(root, job, rank, slot):
    return os.path.join(rank_dir(root, job, rank), "slot-%d" % slot)


def step_dir(root, job, step):
    return os.path.join(root, job, "step-%012d" % step)


def read_json(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_record(path):
    rec = read_json(path)
    if not isinstance(rec, dict) or rec.get("format") != SLOT_FORMAT:
        return None
    return rec


def view_slots(rdir):
    """[(slot, state, step, capacity)] for the slots that exist; state: empty|torn|complete|pinned."""
    try:
        names = os.listdir(rdir)
    except OSError:
        return []
    views = []
    for n in names:
        if not n.startswith("slot-") or not n[5:].isdigit():
            continue
        d = os.path.join(rdir, n)
        try:
            cap = os.stat(os.path.join(d, DATA)).st_size
        except OSError:
            cap = 0
        slot = int(n[5:])
        if os.path.exists(os.path.join(d, PINNED)):
            views.append((slot, "pinned", None, cap))
            continue
        rec = read_record(os.path.join(d, COMMIT))
        if rec is not None and not os.path.exists(os.path.join(d, WRITING)):
            views.append((slot, "complete", rec.get("step"), cap))
        else:
            views.append((slot, "torn" if cap else "empty", None, cap))
    return views


def choose_slot(views, slots, max_slots, policy, need, budget):
    """Same decision as checkpoint-lib/slot-choice.ts: ('use', slot, grow) or ('skip', reason)."""
    used = sum(v[3] for v in views)

    def fits(cap):
        return budget == 0 or used - cap + max(need, cap) <= budget

    existing = {v[0] for v in views}
    for s in range(slots):
        if s not in existing and fits(0):
            return ("use", s, False)
    free = sorted(
        (v for v in views if v[1] != "pinned"),
        key=lambda v: (0 if v[1] in ("empty", "torn") else 1, v[2] if v[2] is not None else -1, v[0]),
    )
    if free:
        return ("use", free[0][0], False) if fits(free[0][3]) else ("skip", "memory-budget")
    if len(views) < slots:
        return ("skip", "memory-budget")
    return _grow_or_skip(views, max_slots, policy, need, budget)


def _grow_or_skip(views, max_slots, policy, need, budget):
    if policy != "grow" or len(views) >= max_slots:
        return ("skip", "all-slots-busy")
    used = sum(v[3] for v in views)
    if budget and used + need > budget:
        return ("skip", "memory-budget")
    return ("use", max((v[0] + 1 for v in views), default=0), True)


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def claim_slot(d):
    """Raise WRITING, then back off if the agent pinned the slot (see FORMAT.md)."""
    os.makedirs(d, exist_ok=True)
    writing = os.path.join(d, WRITING)
    open(writing, "wb").close()
    if os.path.exists(os.path.join(d, PINNED)):
        os.unlink(writing)
        return False
    _unlink(os.path.join(d, COMMIT))
    if os.path.exists(os.path.join(d, PINNED)):
        os.unlink(writing)
        return False
    _unlink(os.path.join(d, SUMS))
    return True


def commit_slot(d, record):
    """The record goes in last: COMMIT.new, drop WRITING, rename to COMMIT."""
    tmp = os.path.join(d, COMMIT + ".new")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(record, separators=(",", ":")))
    os.unlink(os.path.join(d, WRITING))
    os.rename(tmp, os.path.join(d, COMMIT))
