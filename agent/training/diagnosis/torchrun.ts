/**
 * Reads torchrun's (torch.distributed.elastic) ChildFailedError summary: each failed rank's
 * exit code or signal, host and pid, and which one was the root cause. Pure.
 */

export interface RankFailure {
  rank: number;
  localRank?: number;
  exitCode: number;
  signal?: string;
  host?: string;
  pid?: number;
  rootCause: boolean;
}

const RANK_RE = /^\s*rank\s*:\s*(\d+)(?:\s*\(local_rank:\s*(\d+)\))?/;
const EXIT_RE = /^\s*exitcode\s*:\s*(-?\d+)(?:\s*\(pid:\s*(\d+)\))?(?:\s*\((SIG\w+)\))?/;
const HOST_RE = /^\s*host\s*:\s*(\S+)/;

/** Failures listed in a torchrun summary, in order (root cause marked). */
export function parseTorchrunFailures(lines: readonly string[]): RankFailure[] {
  const out: RankFailure[] = [];
  let inRoot = false;
  let cur: Partial<RankFailure> & { host?: string } = {};
  for (const line of lines) {
    if (/^Root Cause \(first observed failure\):/.test(line)) inRoot = true;
    else if (/^Failures:/.test(line)) inRoot = false;
    const h = HOST_RE.exec(line);
    if (h) cur.host = h[1];
    const r = RANK_RE.exec(line);
    if (r) {
      cur.rank = Number(r[1]);
      if (r[2] !== undefined) cur.localRank = Number(r[2]);
    }
    const e = EXIT_RE.exec(line);
    if (e && cur.rank !== undefined) {
      const f: RankFailure = { rank: cur.rank, exitCode: Number(e[1]), rootCause: inRoot };
      if (cur.localRank !== undefined) f.localRank = cur.localRank;
      if (e[2]) f.pid = Number(e[2]);
      if (e[3]) f.signal = e[3];
      if (cur.host) f.host = cur.host;
      out.push(f);
      cur = { ...(cur.host ? { host: cur.host } : {}) };
    }
  }
  return out;
}
