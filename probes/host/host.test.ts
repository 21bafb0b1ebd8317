import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { type HostRaw, parseHostRaw } from './parse.ts';
import { hostMetrics, judgeHost } from './rules.ts';

const raw = JSON.parse(
  readFileSync(new URL('../../test/fixtures/host/vm-2cpu-24g.json', import.meta.url), 'utf8'),
) as HostRaw;

describe('host probe', () => {
  it('parses systeminformation output', () => {
    const rec = parseHostRaw(raw);
    expect(rec).toMatchObject({ cpus: 2, load1: 0.52, memTotalBytes: 25276518400, memAvailableBytes: 24922071040 });
    expect(rec.filesystems.map((f) => f.mount)).toEqual(['/', '/local/ckpt', '/snap/core/1']);
  });

  it('flags a nearly full filesystem and ignores always-full squashfs', () => {
    const obs = judgeHost(parseHostRaw(raw));
    expect(obs.map((o) => [o.code, o.component, o.severity])).toEqual([['host.fs.full', 'fs:/local/ckpt', 'degraded']]);
  });

  it('flags low memory, degraded below 2%', () => {
    const mem = { ...(raw.mem as object), available: 25276518400 * 0.03 };
    expect(judgeHost(parseHostRaw({ ...raw, mem, fsSize: [] }))[0]).toMatchObject({
      code: 'host.memory.low',
      severity: 'warn',
    });
    const worse = { ...(raw.mem as object), available: 25276518400 * 0.01 };
    expect(judgeHost(parseHostRaw({ ...raw, mem: worse, fsSize: [] }))[0]?.severity).toBe('degraded');
  });

  it('exports samples with mount labels', () => {
    const m = hostMetrics(parseHostRaw(raw));
    expect(m.find((s) => s.name === 'host_fs_available_bytes' && s.labels?.mount === '/local/ckpt')?.value).toBe(
      76815119647,
    );
    expect(m.some((s) => s.labels?.mount === '/snap/core/1')).toBe(false);
  });

  it('names the bad field in garbled input', () => {
    expect(() => parseHostRaw({ ...raw, mem: { ...(raw.mem as object), total: 'lots' } })).toThrow(/mem\.total/);
    expect(() => parseHostRaw({ ...raw, loadavg: [1] })).toThrow(/loadavg/);
  });

  it('never throws anything but a KeelsonError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), fc.anything(), (mem, fsSize, loadavg, cpus) => {
        try {
          parseHostRaw({ mem, fsSize, loadavg, cpus });
        } catch (err) {
          expect(isKeelsonError(err)).toBe(true);
        }
      }),
    );
  });
});
