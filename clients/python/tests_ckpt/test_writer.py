import json
import os
import shutil
import socket
import tempfile
import threading
import unittest
import zlib

from keelson_ckpt import Checkpointer, save_state_dict
from keelson_ckpt import layout


def shm_tmp():
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    return tempfile.mkdtemp(prefix="kck-py-", dir=base)


class FakeTensor:
    """Stand-in exposing the slice of the torch.Tensor interface the helper uses."""

    def __init__(self, data, shape, dtype="torch.float32"):
        self._data, self.shape, self.dtype = bytes(data), tuple(shape), dtype

    def detach(self):
        return self

    def cpu(self):
        return self

    def contiguous(self):
        return self

    def numpy(self):
        raise TypeError("no numpy here")

    def untyped_storage(self):
        return self._data


def commit_like_agent(ck, step, tiers):
    """Do what the agent would: checksum the slot, copy it to tiers, write a MANIFEST."""
    rdir = layout.rank_dir(ck.shm_root, ck.job, ck.rank)
    for slot, state, s, _ in layout.view_slots(rdir):
        if state == "complete" and s == step:
            d = layout.slot_dir(ck.shm_root, ck.job, ck.rank, slot)
            rec = layout.read_record(os.path.join(d, layout.COMMIT))
            with open(os.path.join(d, layout.DATA), "rb") as f:
                data = f.read(rec["dataBytes"])
            shards = [dict(x, crc32=zlib.crc32(data[x["offset"]:x["offset"] + x["size"]])) for x in rec["shards"]]
            copy = {"rank": ck.rank, "file": "rank-%05d.data" % ck.rank, "bytes": len(data), "shards": shards, "node": "n1"}
            for root in tiers:
                sd = layout.step_dir(root, ck.job, step)
                os.makedirs(sd, exist_ok=True)
                with open(os.path.join(sd, copy["file"]), "wb") as f:
                    f.write(data)
            manifest = {"format": "keelson.manifest/1", "job": ck.job, "step": step, "world": 1,
                        "tiers": ["nvme", "pfs"], "ranks": [copy], "committedAt": 1}
            with open(os.path.join(layout.step_dir(tiers[-1], ck.job, step), "MANIFEST.json"), "w") as f:
                json.dump(manifest, f)
            return copy
    raise AssertionError("slot for step %d not found" % step)


class WriterTest(unittest.TestCase):
    def setUp(self):
        self.shm = shm_tmp()
        self.disk = tempfile.mkdtemp(prefix="kck-py-disk-")
        self.nvme = os.path.join(self.disk, "nvme")
        self.pfs = os.path.join(self.disk, "pfs")
        os.makedirs(self.nvme)
        os.makedirs(self.pfs)

    def tearDown(self):
        shutil.rmtree(self.shm, ignore_errors=True)
        shutil.rmtree(self.disk, ignore_errors=True)

    def test_save_writes_aligned_shards_and_commit_last_and_reuses_slots(self):
        ck = Checkpointer("job", 0, 1, shm_root=self.shm)
        a, b = bytearray(os.urandom(5000)), memoryview(os.urandom(300))
        r1 = ck.save(1, {"a": a, "b": b})
        r2 = ck.save(2, {"a": a, "b": b})
        r3 = ck.save(3, {"a": a, "b": b})
        self.assertEqual([r1["slot"], r2["slot"], r3["slot"]], [0, 1, 0])
        d = layout.slot_dir(self.shm, "job", 0, 0)
        rec = layout.read_record(os.path.join(d, "COMMIT"))
        self.assertEqual(rec["step"], 3)
        self.assertEqual([s["offset"] for s in rec["shards"]], [0, 8192])
        with open(os.path.join(d, "data"), "rb") as f:
            data = f.read()
        self.assertEqual(data[:5000], bytes(a))
        self.assertEqual(data[8192:8492], bytes(b))
        self.assertFalse(os.path.exists(os.path.join(d, "WRITING")))
        ck.close()

    def test_pinned_slot_is_never_touched_and_skip_is_reported(self):
        sock_path = os.path.join(self.disk, "agent.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(sock_path)
        srv.listen(1)
        got = []

        def serve():
            c, _ = srv.accept()
            buf = b""
            while buf.count(b"\n") < 2:
                chunk = c.recv(4096)
                if not chunk:
                    break
                buf += chunk
            got.extend(json.loads(x) for x in buf.decode().splitlines())
            c.close()

        t = threading.Thread(target=serve)
        t.start()
        ck = Checkpointer("job", 0, 1, shm_root=self.shm, slots=1, socket_path=sock_path)
        ck.save(1, {"a": b"x" * 100})
        d = layout.slot_dir(self.shm, "job", 0, 0)
        os.rename(os.path.join(d, "COMMIT"), os.path.join(d, "COMMIT.pinned"))  # the agent copies it out
        r = ck.save(2, {"a": b"y" * 100})
        self.assertFalse(r.saved)
        self.assertEqual(r["reason"], "all-slots-busy")
        with open(os.path.join(d, "data"), "rb") as f:
            self.assertEqual(f.read(100), b"x" * 100)
        t.join(5)
        srv.close()
        self.assertEqual([g["type"] for g in got], ["ckpt-saved", "ckpt-skipped"])
        grow = Checkpointer("job", 0, 1, shm_root=self.shm, slots=1, policy="grow")
        self.assertEqual(grow.save(2, {"a": b"y" * 100})["slot"], 1)
        ck.close()
        grow.close()

    def test_memory_budget_skips(self):
        ck = Checkpointer("job", 0, 1, shm_root=self.shm, budget_bytes=4096)
        self.assertTrue(ck.save(1, {"a": b"1" * 4096}).saved)
        # No room for a second slot: the ring shrinks to the one slot that fits.
        self.assertEqual(ck.save(2, {"a": b"2" * 4096})["slot"], 0)
        self.assertEqual(ck.save(3, {"a": b"3" * 8192})["reason"], "memory-budget")
        ck.close()

    def test_torch_helper_writes_raw_bytes_with_dtype_and_shape(self):
        ck = Checkpointer("job", 0, 1, shm_root=self.shm)
        t = FakeTensor(b"\x01\x02" * 6, (2, 3), "torch.bfloat16")
        save_state_dict(ck, 5, {"w": t, "step": 5})
        rec = layout.read_record(os.path.join(layout.slot_dir(self.shm, "job", 0, 0), "COMMIT"))
        self.assertEqual(rec["shards"], [{"name": "w", "offset": 0, "size": 12, "dtype": "bfloat16", "shape": [2, 3]}])
        ck.close()

    def test_load_latest_verifies_and_falls_back_tier_by_tier(self):
        ck = Checkpointer("job", 0, 1, shm_root=self.shm, nvme_dir=self.nvme, pfs_dir=self.pfs)
        self.assertIsNone(ck.load_latest())
        payload = os.urandom(10000)
        ck.save(7, {"w": payload})
        copy = commit_like_agent(ck, 7, [self.nvme, self.pfs])
        step, data, meta, tier = ck.load_latest()
        self.assertEqual((step, bytes(data["w"]), tier), (7, payload, "memory"))
        # Flip a byte in memory: falls back to NVMe; flip there too: parallel storage.
        with open(os.path.join(layout.slot_dir(self.shm, "job", 0, 0), "data"), "r+b") as f:
            f.seek(10)
            f.write(bytes([payload[10] ^ 0xFF]))
        self.assertEqual(ck.load_latest()[3], "nvme")
        with open(os.path.join(layout.step_dir(self.nvme, "job", 7), copy["file"]), "r+b") as f:
            f.seek(9999)
            f.write(bytes([payload[9999] ^ 1]))
        step, data, _, tier = ck.load_latest()
        self.assertEqual((step, bytes(data["w"]), tier), (7, payload, "pfs"))
        ck.close()


if __name__ == "__main__":
    unittest.main()
