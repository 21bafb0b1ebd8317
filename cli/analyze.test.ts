import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../core/errors.ts';
import { analyzeExitCode, analyzePaths, formatAnalyzeJson, formatAnalyzeText } from './analyze.ts';

const FIX = resolve(import.meta.dirname, '../test/fixtures');
const CORPUS = resolve(import.meta.dirname, '../../shared/corpus');

describe('analyzePaths', () => {
  it('recognises a capture, judges it with the probe rules, and exits 1 on a fatal finding', async () => {
    const r = await analyzePaths([join(FIX, 'gpu/h100-8gpu-rowremap-failure.xml')], { now: 0 });
    expect(r.inputs).toEqual([{ path: join(FIX, 'gpu/h100-8gpu-rowremap-failure.xml'), kind: 'nvidia-smi-xml' }]);
    expect(r.findings.some((f) => f.code === 'gpu.rowremap.failure' && f.severity === 'fatal')).toBe(true);
    expect(analyzeExitCode(r)).toBe(1);
  });

  it('exits 0 on a healthy capture', async () => {
    const r = await analyzePaths([join(FIX, 'gpu/h100-8gpu-healthy.xml')], { now: 0 });
    expect(r.findings.filter((f) => f.severity === 'degraded' || f.severity === 'fatal')).toEqual([]);
    expect(analyzeExitCode(r)).toBe(0);
  });

  it('prints the JSON shape the docs promise, worst first', async () => {
    const r = await analyzePaths([join(FIX, 'kernel-log/dmesg-T-xid79-burst.log')], { now: Date.UTC(2024, 5, 3) });
    const doc = JSON.parse(formatAnalyzeJson(r));
    expect(Object.keys(doc.findings[0]).sort()).toEqual([
      'action',
      'code',
      'component',
      'evidence',
      'message',
      'severity',
    ]);
    expect(doc.findings[0]).toMatchObject({ code: 'gpu.xid.79', severity: 'fatal' });
    expect(formatAnalyzeText(r)).toMatch(
      /dmesg-T-xid79-burst\.log \(dmesg-T\): \d+ findings?\n {2}fatal {4}gpu\.xid\.79/,
    );
  });

  it('honours --as and refuses an unknown kind', async () => {
    const r = await analyzePaths([join(FIX, 'kernel-log/kmsg-xid48-63.log')], { now: 0, as: 'kmsg' });
    expect(r.inputs[0]?.kind).toBe('kmsg');
    await expect(
      analyzePaths([join(FIX, 'kernel-log/kmsg-xid48-63.log')], { now: 0, as: 'tea-leaves' }),
    ).rejects.toThrow(/unknown kind "tea-leaves"; known kinds: nvidia-smi-xml/);
  });

  it('fails a named file it does not recognise, or cannot read, with PARSE_FAILED', async () => {
    for (const p of [join(FIX, 'analyze/not-a-capture.txt'), join(FIX, 'analyze/absent.txt')]) {
      const err = await analyzePaths([p], { now: 0 }).catch((e) => e);
      expect(isKeelsonError(err, 'PARSE_FAILED')).toBe(true);
    }
  });

  it('walks a folder of captures, skipping (and listing) what it does not recognise', async () => {
    const r = await analyzePaths([join(FIX, 'analyze')], { now: 0 });
    expect(r.skipped).toEqual([
      {
        path: join(FIX, 'analyze/not-a-capture.txt'),
        reason: 'not a format keelson recognises (name it with --as <kind>)',
      },
    ]);
  });
});

/** What analyze should call each corpus file; files no analyzer claims are listed as undefined. */
const EXPECTED_KIND: Record<string, RegExp | undefined> = {
  'nvidia-smi': /^nvidia-smi-/,
  'kernel-log': /^(dmesg|dmesg-T|kmsg|journalctl-.*|syslog)$/,
  infiniband: /^(ibstat|ibstatus|perfquery|ibnetdiscover|ibv_devinfo|ib-sysfs-value|sysfs-infiniband.*)$/,
  nvme: /^(nvme-.*|smartctl-json)$/,
  nccl: /^(nccl-tests|training-log)$/,
  'training-logs': /^training-log$/,
};
const UNCLAIMED = new Set(['ugpe_nvidia-smi-dmon_h100_load.txt', 'ugpe_nvidia-smi-topo-m_h100_1gpu.txt']);

describe.skipIf(!existsSync(CORPUS))('analyze over ../shared/corpus', () => {
  for (const [dir, kind] of Object.entries(EXPECTED_KIND)) {
    it(`recognises every capture in ${dir}/ as the right kind`, async () => {
      const r = await analyzePaths([join(CORPUS, dir)], { now: Date.UTC(2025, 0, 1) });
      for (const input of r.inputs) expect(input.kind, input.path).toMatch(kind!);
      expect(r.skipped.map((s) => s.path.split('/').pop()).filter((n) => !UNCLAIMED.has(n!))).toEqual([]);
      const names = readdirSync(join(CORPUS, dir)).filter((n) => !UNCLAIMED.has(n));
      expect(r.inputs.length).toBe(names.length);
    });
  }
});
