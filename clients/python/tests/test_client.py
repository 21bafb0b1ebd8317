"""Tests of the keelson client: environment detection, a real unix socket server, no agent
(timing), a stalled agent, reconnect, and that nothing ever raises into training."""
import json
import os
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import keelson  # noqa: E402
from keelson import Client, detect  # noqa: E402


class LineServer:
    """A real unix stream socket server that collects newline-delimited JSON."""

    def __init__(self, path, read=True):
        self.path = path
        self.lines = []
        self.read = read
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.conns = []
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.05)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.conns.append(c)
            if self.read:
                threading.Thread(target=self._read, args=(c,), daemon=True).start()

    def _read(self, c):
        buf = b""
        while True:
            try:
                d = c.recv(65536)
            except OSError:
                return
            if not d:
                return
            buf += d
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.lines.append(json.loads(line))

    def wait(self, n, timeout=5.0):
        end = time.time() + timeout
        while len(self.lines) < n and time.time() < end:
            time.sleep(0.01)
        return self.lines

    def close(self):
        self.stop = True
        for c in self.conns:
            c.close()
        self.sock.close()
        self.thread.join(1)
        if os.path.exists(self.path):
            os.unlink(self.path)


class EnvTest(unittest.TestCase):
    def test_torchrun(self):
        d = detect({"RANK": "3", "LOCAL_RANK": "1", "WORLD_SIZE": "16", "TORCHELASTIC_RUN_ID": "abc", "KEELSON_NODE": "gpu01"})
        self.assertEqual((d["rank"], d["local_rank"], d["world"], d["job"], d["node"]), (3, 1, 16, "abc", "gpu01"))
        self.assertEqual(d["socket"], "/run/keelson/train.sock")

    def test_slurm_and_overrides(self):
        d = detect({"SLURM_PROCID": "5", "SLURM_NTASKS": "8", "SLURM_JOB_ID": "1234", "SLURM_LOCALID": "1",
                    "TORCHELASTIC_RUN_ID": "none", "KEELSON_TRAIN_SOCKET": "/tmp/t.sock", "SLURMD_NODENAME": "n7"})
        self.assertEqual((d["rank"], d["world"], d["job"], d["local_rank"], d["node"]), (5, 8, "1234", 1, "n7"))
        self.assertEqual(d["socket"], "/tmp/t.sock")
        self.assertEqual(detect({"KEELSON_SOCKET": "/a", "KEELSON_TRAIN_SOCKET": "/b"})["socket"], "/a")

    def test_defaults_and_torchrun_none(self):
        d = detect({"TORCHELASTIC_RUN_ID": "none"})
        self.assertEqual((d["rank"], d["world"], d["job"]), (0, None, "local"))
        self.assertTrue(detect({"KEELSON_DISABLE": "1"})["disabled"])
        self.assertEqual(detect({"KEELSON_UDP_PORT": "7400"})["udp_port"], 7400)


class SocketTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "train.sock")

    def test_reports_reach_a_real_server(self):
        srv = LineServer(self.path)
        try:
            c = Client(socket_path=self.path, job="j1", rank=2, world=4, node="n1", env={})
            self.assertTrue(c.report(1, loss=2.5, tokens=4096))
            self.assertTrue(c.report(2, loss=float("nan"), step_ms=812.5, restored_from=1))
            self.assertFalse(c.report(3, restored_from=-1))
            with c.phase("checkpoint"):
                pass
            lines = srv.wait(4)
            self.assertEqual(len(lines), 4)
            self.assertEqual(lines[1]["restoredFrom"], 1)
            self.assertNotIn("restoredFrom", lines[0])
            self.assertEqual({k: lines[0][k] for k in ("job", "rank", "world", "node", "step", "loss", "tokens")},
                             {"job": "j1", "rank": 2, "world": 4, "node": "n1", "step": 1, "loss": 2.5, "tokens": 4096.0})
            self.assertEqual(lines[1]["loss"], "nan")
            self.assertEqual(lines[1]["stepMs"], 812.5)
            self.assertEqual([(l["step"], l.get("phase")) for l in lines[2:]], [(2, "checkpoint"), (2, "train")])
            self.assertIsInstance(lines[0]["ts"], int)
            c.close()
        finally:
            srv.close()

    def test_module_level_api_uses_the_environment(self):
        srv = LineServer(self.path)
        try:
            keelson.configure(env={"KEELSON_SOCKET": self.path, "RANK": "7", "SLURM_JOB_ID": "99"})
            keelson.report(10, loss=1.0)
            with keelson.phase("eval"):
                keelson.report(10)
            lines = srv.wait(4)
            self.assertEqual([(l["job"], l["rank"], l["step"], l.get("phase")) for l in lines],
                             [("99", 7, 10, None), ("99", 7, 10, "eval"), ("99", 7, 10, None), ("99", 7, 10, "train")])
        finally:
            keelson.configure(enabled=False)
            srv.close()

    def test_no_agent_every_call_is_under_a_millisecond(self):
        c = Client(socket_path=self.path, job="j", env={})
        times = []
        for i in range(10000):
            t0 = time.perf_counter()
            c.report(i, loss=1.0, tokens=10)
            times.append(time.perf_counter() - t0)
        times.sort()
        mean = sum(times) / len(times)
        p999 = times[int(len(times) * 0.999)]
        print(f"\nno agent: mean {mean * 1e6:.1f} us, p99.9 {p999 * 1e6:.1f} us, max {times[-1] * 1e6:.1f} us", file=sys.stderr)
        self.assertLess(mean, 100e-6)
        self.assertLess(p999, 1e-3)
        # The max includes OS scheduling on a shared machine; a blocking call would take seconds.
        self.assertLess(times[-1], 50e-3)
        self.assertEqual(c.sent, 0)
        self.assertEqual(c.dropped, 10000)
        c.close()

    def test_stalled_agent_never_blocks_and_drops(self):
        # A listening socket nobody accepts from or reads: the kernel buffers fill up. No server
        # thread in this process, so the timing measures the client alone (not the GIL).
        lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lst.bind(self.path)
        lst.listen(1)
        try:
            c = Client(socket_path=self.path, job="j", env={}, max_pending=4096)
            times = []
            for i in range(50000):
                t0 = time.perf_counter()
                c.report(i, loss=1.0)
                times.append(time.perf_counter() - t0)
            times.sort()
            print(f"\nstalled agent: p99.9 {times[int(len(times) * 0.999)] * 1e6:.1f} us, max {times[-1] * 1e6:.1f} us, "
                  f"sent {c.sent}, dropped {c.dropped}", file=sys.stderr)
            self.assertGreater(c.dropped, 0)
            self.assertGreater(c.sent, 0)
            self.assertLess(times[int(len(times) * 0.999)], 1e-3)
            self.assertLess(times[-1], 50e-3)
            c.close()
        finally:
            lst.close()
            os.unlink(self.path)

    def test_reconnects_when_the_agent_appears_rate_limited(self):
        c = Client(socket_path=self.path, job="j", env={}, retry_interval=0.2)
        self.assertFalse(c.report(1))
        srv = LineServer(self.path)
        try:
            self.assertFalse(c.report(2))  # within the retry interval: not even tried
            time.sleep(0.25)
            self.assertTrue(c.report(3))
            self.assertEqual([l["step"] for l in srv.wait(1)], [3])
        finally:
            srv.close()

    def test_agent_restart_mid_run(self):
        srv = LineServer(self.path)
        c = Client(socket_path=self.path, job="j", env={}, retry_interval=0.05)
        self.assertTrue(c.report(1))
        srv.wait(1)
        srv.close()
        for i in range(5):
            c.report(2 + i)  # the broken connection is noticed and dropped, never raised
        time.sleep(0.3)
        srv2 = LineServer(self.path)
        try:
            time.sleep(0.1)
            ok = False
            for i in range(50):
                ok = c.report(100 + i) or ok
                time.sleep(0.01)
            self.assertTrue(ok)
            self.assertGreaterEqual(len(srv2.wait(1)), 1)
        finally:
            srv2.close()

    def test_localhost_tcp(self):
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        srv.settimeout(2)
        try:
            c = Client(socket_path="tcp://127.0.0.1:%d" % srv.getsockname()[1], job="t", env={})
            c.report(3, loss=1.25)
            conn, _ = srv.accept()
            conn.settimeout(2)
            deadline = time.monotonic() + 2
            got = b""
            while b"\n" not in got and time.monotonic() < deadline:
                c.report(4)  # flushes what the non-blocking connect held back
                try:
                    got += conn.recv(4096)
                except socket.timeout:
                    pass
            msg = json.loads(got.split(b"\n")[0])
            self.assertEqual((msg["job"], msg["step"], msg["loss"]), ("t", 3, 1.25))
            conn.close()
            c.close()
        finally:
            srv.close()

    def test_udp(self):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        u.settimeout(2)
        try:
            c = Client(socket_path=self.path, job="u", env={}, udp_port=u.getsockname()[1])
            self.assertTrue(c.report(5, loss=1.5))
            msg = json.loads(u.recv(4096))
            self.assertEqual((msg["job"], msg["step"], msg["loss"]), ("u", 5, 1.5))
        finally:
            u.close()

    def test_never_raises(self):
        c = Client(socket_path=self.path, job="j", env={})
        self.assertFalse(c.report("not a step"))
        self.assertFalse(c.report(1, loss=object()))
        self.assertFalse(c.report(-1))
        self.assertFalse(c.report(1, phase="lunch"))
        self.assertFalse(c.report(1, tokens=float("nan")))
        self.assertFalse(keelson.report(None))
        self.assertFalse(Client(socket_path=self.path, env={"KEELSON_DISABLE": "1"}).report(1))


if __name__ == "__main__":
    unittest.main()
