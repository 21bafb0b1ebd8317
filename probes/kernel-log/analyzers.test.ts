/** Analyzers: each fixture capture, in its own format, gives exactly its expected findings. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { kernelLogAnalyzers } from './analyzers.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/kernel-log');
const NOW = new Date(2025, 5, 1).getTime();
const fixture = (name: string) => readFileSync(path.join(FIX, name), 'utf8');
const byKind = (kind: string) => {
  const a = kernelLogAnalyzers.find((x) => x.kind === kind);
  if (!a) throw new Error(`no analyzer ${kind}`);
  return a;
};
const summary = (kind: string, name: string) =>
  byKind(kind)
    .analyze(fixture(name), NOW)
    .map((o) => `${o.code} ${o.component} ${o.severity}`);

describe('kernelLogAnalyzers', () => {
  it('names every kind the CLI can be asked for with --as', () => {
    expect(kernelLogAnalyzers.map((a) => a.kind).sort()).toEqual(
      ['dmesg', 'dmesg-T', 'journalctl-iso', 'journalctl-json', 'journalctl-short', 'kmsg', 'syslog'].sort(),
    );
  });

  it.each([
    ['dmesg-T-xid79-burst.log', 'dmesg-T'],
    ['kmsg-xid48-63.log', 'kmsg'],
    ['journal-json-nvme-timeout.log', 'journalctl-json'],
    ['syslog-mlx5-flap.log', 'syslog'],
    ['journalctl-short-oom-fs.log', 'journalctl-short'],
    ['journalctl-iso-xid154-sxid.log', 'journalctl-iso'],
    ['dmesg-edac-mce-hung.log', 'dmesg'],
  ])('%s is sniffed by the %s analyzer only', (name, kind) => {
    const head = fixture(name).slice(0, 65_536);
    expect(kernelLogAnalyzers.filter((a) => a.sniff(head)).map((a) => a.kind)).toEqual([kind]);
  });

  it('dmesg -T: an Xid 79 storm is one fatal finding per 3-minute burst, Xid 45 on another GPU apart', () => {
    expect(summary('dmesg-T', 'dmesg-T-xid79-burst.log')).toEqual([
      'gpu.xid.79 gpu:0000:3b:00.0 fatal',
      'gpu.xid.45 gpu:0000:5d:00.0 warn',
      'gpu.xid.79 gpu:0000:3b:00.0 fatal',
    ]);
    const [first] = byKind('dmesg-T').analyze(fixture('dmesg-T-xid79-burst.log'), NOW);
    expect(first?.message).toContain('(5 lines in burst)');
    expect(first?.at).toBe(new Date(2024, 5, 3, 10, 11, 12).getTime());
  });

  it('kmsg: DBE, row remap, contained errors, non-fatal SXid', () => {
    expect(summary('kmsg', 'kmsg-xid48-63.log')).toEqual([
      'gpu.xid.48 gpu:0000:19:00.0 degraded',
      'gpu.xid.63 gpu:0000:19:00.0 info',
      'gpu.xid.94 gpu:0000:19:00.0 warn',
      'nvswitch.sxid.12028 nvswitch:2 warn',
    ]);
  });

  it('kmsg: monotonic stamps are placed so that the last record is "now"', () => {
    const out = byKind('kmsg').analyze(fixture('kmsg-xid48-63.log'), NOW);
    expect(out[3]?.at).toBe(NOW);
    expect(out[0]?.at).toBe(NOW - (1712009100000 - 1712003555000) / 1000);
  });

  it('journal json: NVMe timeouts (byte-array MESSAGE included), reset and removal', () => {
    expect(summary('journalctl-json', 'journal-json-nvme-timeout.log')).toEqual([
      'nvme.io_timeout nvme1 warn',
      'nvme.reset nvme1 degraded',
      'nvme.removed nvme1 degraded',
    ]);
    const [t] = byKind('journalctl-json').analyze(fixture('journal-json-nvme-timeout.log'), NOW);
    expect(t?.message).toContain('(3 lines in burst)');
    expect(t?.at).toBe(1717409472123);
  });

  it('syslog: mlx5 link flapping on one port, a single down on another, user-space lines ignored', () => {
    expect(summary('syslog', 'syslog-mlx5-flap.log')).toEqual([
      'ib.link.down ib:ibp77s0 info',
      'ib.link.flap ib:ibp77s0 degraded',
      'ib.link.down ib:ibp26s0 info',
    ]);
  });

  it('journalctl short: one OOM kill, ext4 error + read-only remount, XFS error + shutdown, Lustre', () => {
    expect(summary('journalctl-short', 'journalctl-short-oom-fs.log')).toEqual([
      'kernel.oom_kill host warn',
      'kernel.fs.error host degraded',
      'kernel.fs.readonly host degraded',
      'kernel.fs.error host degraded',
      'kernel.fs.readonly host degraded',
      'kernel.fs.error host warn',
    ]);
  });

  it('journalctl short-iso: Xid 62, Xid 154 asking for a reboot, non-fatal SXid, unknown Xid', () => {
    expect(summary('journalctl-iso', 'journalctl-iso-xid154-sxid.log')).toEqual([
      'gpu.xid.62 gpu:0000:cc:00.0 degraded',
      'gpu.xid.154 gpu:0000:cc:00.0 fatal',
      'nvswitch.sxid.12028 nvswitch:1 warn',
      'gpu.xid.203 gpu:0000:cc:00.0 warn',
    ]);
  });

  it('dmesg: EDAC CE, MCE (a later CE burst), EDAC UE and a hung task', () => {
    expect(summary('dmesg', 'dmesg-edac-mce-hung.log')).toEqual([
      'kernel.edac.ce host warn',
      'kernel.edac.ce host warn',
      'kernel.edac.ue host fatal',
      'kernel.hung_task host warn',
    ]);
  });

  it('never throws anything but PARSE_FAILED on arbitrary text (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500 }), (s) => {
        for (const a of kernelLogAnalyzers) {
          try {
            a.sniff(s);
            a.analyze(s, NOW);
          } catch (err) {
            if (!isKeelsonError(err, 'PARSE_FAILED')) throw err;
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
