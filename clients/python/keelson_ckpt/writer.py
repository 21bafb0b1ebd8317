"""Checkpointer: the training rank's save path and load_latest.

save() copies each shard once, by mmap slice assignment into a preallocated, reused shm slot
file (STACK.md: ~1.28x a bytearray copy), writes the commit record last, sends one NDJSON note
to the agent and returns. Checksums are computed by the agent on its first read, off the
training path. Stdlib only.
"""
import json
import mmap
import os
import socket
import time
import zlib

from . import layout
from .peer import fetch_replica

DEFAULT_SHM_ROOT = "/dev/shm/keelson"


class SaveResult(dict):
    """{'saved': bool, 'step', 'slot'|'reason', 'stall_s', 'bytes'}; a dict for easy logging."""

    @property
    def saved(self):
        return self["saved"]


class Checkpointer:
    """One rank's writer. `save(step, {name: buffer})` accepts any buffer-protocol object."""

    def __init__(self, job, rank, world, shm_root=None, socket_path=None, slots=2, max_slots=4,
                 policy="skip", budget_bytes=0, nvme_dir=None, pfs_dir=None, peer=None, node=None):
        env = os.environ
        self.job, self.rank, self.world = job, int(rank), int(world)
        self.shm_root = shm_root or env.get("KEELSON_CKPT_SHM_ROOT") or DEFAULT_SHM_ROOT
        self.socket_path = socket_path if socket_path is not None else env.get("KEELSON_CKPT_SOCKET")
        self.nvme_dir = nvme_dir or env.get("KEELSON_CKPT_NVME_DIR")
        self.pfs_dir = pfs_dir or env.get("KEELSON_CKPT_PFS_DIR")
        # A buddy agent (host:port) holding this node's replicas, and this node's name there.
        self.peer = peer or env.get("KEELSON_CKPT_PEER")
        self.node = node or env.get("KEELSON_NODE") or socket.gethostname()
        self.slots, self.max_slots, self.policy, self.budget = slots, max_slots, policy, int(budget_bytes)
        self._maps = {}  # slot -> (fd, mmap, size)
        self._sock = None

    # ---- save ----

    def save(self, step, shards, meta=None):
        """Copy the shards into a free slot and notify the agent; never blocks on the agent.

        meta: optional {name: {"dtype": str, "shape": [int]}}.
        """
        t0 = time.perf_counter()
        items = [(name, memoryview(buf).cast("B")) for name, buf in shards.items()]
        offsets, data_bytes = layout.layout_shards([len(v) for _, v in items])
        rdir = layout.rank_dir(self.shm_root, self.job, self.rank)
        views = layout.view_slots(rdir)
        for _ in range(4):
            choice = layout.choose_slot(views, self.slots, self.max_slots, self.policy, data_bytes, self.budget)
            if choice[0] == "skip":
                return self._skipped(step, choice[1], t0)
            slot = choice[1]
            d = layout.slot_dir(self.shm_root, self.job, self.rank, slot)
            if not layout.claim_slot(d):
                views = [(v[0], "pinned", v[2], v[3]) if v[0] == slot else v for v in views]
                continue
            mm = self._map(d, slot, data_bytes)
            out = []
            for (name, mv), off in zip(items, offsets):
                mm[off:off + len(mv)] = mv
                entry = {"name": name, "offset": off, "size": len(mv)}
                m = (meta or {}).get(name)
                if m:
                    if m.get("dtype"):
                        entry["dtype"] = str(m["dtype"])
                    if m.get("shape") is not None:
                        entry["shape"] = [int(x) for x in m["shape"]]
                out.append(entry)
            save_id = os.urandom(8).hex()
            record = {
                "format": layout.SLOT_FORMAT, "job": self.job, "rank": self.rank, "world": self.world,
                "step": int(step), "saveId": save_id, "slot": slot, "createdAt": int(time.time() * 1000),
                "dataBytes": data_bytes, "shards": out,
            }
            layout.commit_slot(d, record)
            stall = time.perf_counter() - t0
            self._notify({"type": "ckpt-saved", "job": self.job, "rank": self.rank, "world": self.world,
                          "step": int(step), "slot": slot, "saveId": save_id})
            return SaveResult(saved=True, step=int(step), slot=slot, stall_s=stall, bytes=data_bytes)
        return self._skipped(step, "all-slots-busy", t0)

    def _skipped(self, step, reason, t0):
        self._notify({"type": "ckpt-skipped", "job": self.job, "rank": self.rank, "step": int(step), "reason": reason})
        return SaveResult(saved=False, step=int(step), reason=reason, stall_s=time.perf_counter() - t0)

    def _map(self, d, slot, size):
        """The slot's data file mapped once and kept; grown (never shrunk) when a save needs more."""
        cur = self._maps.get(slot)
        if cur and cur[2] >= size:
            return cur[1]
        if cur:
            cur[1].close()
            os.close(cur[0])
        path = os.path.join(d, layout.DATA)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        have = os.fstat(fd).st_size
        if have < size:
            os.ftruncate(fd, size)
        size = max(have, size)
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        mm = mmap.mmap(fd, size, flags=flags, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        self._maps[slot] = (fd, mm, size)
        return mm

    def _notify(self, note):
        if not self.socket_path:
            return
        line = (json.dumps(note, separators=(",", ":")) + "\n").encode()
        for _ in range(2):
            try:
                if self._sock is None:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.settimeout(0.05)
                    s.connect(self.socket_path)
                    s.setblocking(False)
                    self._sock = s
                self._sock.send(line)
                return
            except OSError:
                if self._sock is not None:
                    self._sock.close()
                self._sock = None

    def close(self):
        for fd, mm, _ in self._maps.values():
            mm.close()
            os.close(fd)
        self._maps.clear()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    # ---- restore ----

    def load_latest(self):
        """The newest committed step for this rank, from the fastest tier whose copy verifies.

        Returns (step, {name: bytearray}, {name: shard meta}, tier) or None when nothing is committed.
        Tiers tried per step: this node's shm, NVMe, parallel storage; a checksum mismatch falls back.
        """
        for step, manifest in self._committed():
            mine = next((r for r in manifest.get("ranks", []) if r.get("rank") == self.rank), None)
            if mine is None:
                continue
            for tier, reader in self._sources(step, mine):
                try:
                    got = reader()
                except (OSError, ValueError):
                    continue
                if got is None:
                    continue
                data = {}
                ok = True
                for s in mine["shards"]:
                    b = got[s["offset"]:s["offset"] + s["size"]]
                    if len(b) != s["size"] or zlib.crc32(b) != s["crc32"]:
                        ok = False
                        break
                    data[s["name"]] = bytearray(b)
                if ok:
                    return step, data, {s["name"]: s for s in mine["shards"]}, tier
        return None

    def _committed(self):
        steps = {}
        for root in (self.pfs_dir, self.nvme_dir):
            if not root:
                continue
            try:
                names = os.listdir(os.path.join(root, self.job))
            except OSError:
                continue
            for n in names:
                if n.startswith("step-") and n[5:].isdigit() and int(n[5:]) not in steps:
                    m = layout.read_json(os.path.join(root, self.job, n, "MANIFEST.json"))
                    if isinstance(m, dict) and m.get("format") == "keelson.manifest/1":
                        steps[int(n[5:])] = m
        return sorted(steps.items(), reverse=True)

    def _sources(self, step, mine):
        def shm():
            for slot, state, s, _ in layout.view_slots(layout.rank_dir(self.shm_root, self.job, self.rank)):
                if state in ("complete", "pinned") and s == step:
                    d = layout.slot_dir(self.shm_root, self.job, self.rank, slot)
                    rec = layout.read_record(os.path.join(d, layout.COMMIT)) or layout.read_record(
                        os.path.join(d, layout.PINNED))
                    if rec and [x["offset"] for x in rec["shards"]] == [x["offset"] for x in mine["shards"]]:
                        with open(os.path.join(d, layout.DATA), "rb") as f:
                            return f.read(rec["dataBytes"])
            return None

        def tier_file(root):
            def read():
                with open(os.path.join(layout.step_dir(root, self.job, step), mine["file"]), "rb") as f:
                    return f.read()
            return read

        def peer():
            got = fetch_replica(self.peer, self.node, self.job, self.rank)
            if got is None or got[0].get("step") != step:
                return None
            return got[1]

        yield "memory", shm
        if self.peer:
            yield "peer", peer
        if self.nvme_dir:
            yield "nvme", tier_file(self.nvme_dir)
        if self.pfs_dir:
            yield "pfs", tier_file(self.pfs_dir)
