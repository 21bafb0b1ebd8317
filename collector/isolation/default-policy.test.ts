import { describe, expect, it } from 'vitest';
import type { Action, FindingKind, Severity } from '../../core/finding.ts';
import { driverCatalog } from '../../probes/driver/catalog.ts';
import { gpuCatalog } from '../../probes/gpu/catalog.ts';
import { hostHwCatalog } from '../../probes/host-hw/catalog.ts';
import { kernelLogCatalog, xidCatalog } from '../../probes/kernel-log/catalog.ts';
import { nvmeCatalog } from '../../probes/nvme/catalog.ts';
import { rdmaCatalog } from '../../probes/rdma/catalog.ts';
import { defaultPolicy } from './default-policy.ts';
import type { LadderEntry } from './ladder.ts';
import { evaluatePolicy, type Occurrence } from './policy-eval.ts';

interface Entry {
  code: string;
  severity: Severity;
  action: Action;
  kind: FindingKind;
}

// The finding vocabulary as the probes' catalogs list it (templated codes left out), plus the
// training and collector codes.
// Some catalogs type severity/action as plain strings; the test checks the values below.
const entries = (x: readonly { code: string; severity: string; action: string; kind: string }[]) =>
  x as readonly Entry[];

const vocabulary: Entry[] = [
  ...entries(gpuCatalog),
  ...entries(kernelLogCatalog),
  ...entries(xidCatalog),
  ...entries(driverCatalog),
  ...entries(nvmeCatalog),
  ...entries(rdmaCatalog),
  ...entries(hostHwCatalog),
  ...entries([
    { code: 'train.hang', severity: 'fatal', action: 'restart-job', kind: 'condition' },
    { code: 'train.slow', severity: 'warn', action: 'none', kind: 'condition' },
    { code: 'node.lost', severity: 'degraded', action: 'inspect-hardware', kind: 'condition' },
  ]),
].filter((e) => !e.code.includes('<'));

const IGNORED = new Set([
  'node.lost',
  'kernel.log.unreadable',
  'gpu.smi.missing',
  'nvme.tool.missing',
  'nvme.smart.unreadable',
]);

const POLICY = defaultPolicy();

function evalOne(e: Entry, ladder: LadderEntry[] = []) {
  const o: Occurrence = { node: 'gpu01', component: 'gpu:0', at: 10_000_000, n: 1, ...e };
  return evaluatePolicy(POLICY, o, [o], ladder);
}

describe('the shipped policy over the finding vocabulary', () => {
  it('covers a real vocabulary', () => {
    expect(vocabulary.length).toBeGreaterThan(150);
  });

  it('never isolates for info or warn findings', () => {
    for (const e of vocabulary.filter((x) => x.severity === 'info' || x.severity === 'warn')) {
      expect(evalOne(e).actions, e.code).not.toContain('isolate');
    }
  });

  it('isolates every fatal hardware finding and every drain suggestion', () => {
    for (const e of vocabulary.filter((x) => !IGNORED.has(x.code) && !x.code.startsWith('train.'))) {
      const shouldIsolate = e.severity === 'fatal' || (e.severity === 'degraded' && e.action === 'drain');
      expect(evalOne(e).actions.includes('isolate'), `${e.code} ${e.severity} ${e.action}`).toBe(shouldIsolate);
    }
  });

  it('leaves what the collector infers and the agent’s own troubles alone', () => {
    for (const e of vocabulary.filter((x) => IGNORED.has(x.code))) expect(evalOne(e).actions, e.code).toEqual([]);
  });

  it('a training hang restarts the job (the job flow drains after repeats)', () => {
    expect(
      evalOne({ code: 'train.hang', severity: 'fatal', action: 'restart-job', kind: 'condition' }).actions,
    ).toEqual(['restart-job']);
  });

  it('Xid 79 drains and recommends a reboot; after two reboots for it, inspect-hardware', () => {
    const xid79 = xidCatalog.find((x) => x.code === 'gpu.xid.79')!;
    expect(evalOne(xid79).actions).toEqual(['isolate', 'reboot']);
    const twice: LadderEntry[] = [1, 2].map((i) => ({
      node: 'gpu01',
      code: 'gpu.xid.79',
      step: 'reboot',
      at: i * 1000,
    }));
    expect(evalOne(xid79, twice).actions).toEqual(['isolate', 'inspect-hardware']);
  });

  it('degraded repair suggestions climb the ladder without isolating first', () => {
    const xid48 = xidCatalog.find((x) => x.code === 'gpu.xid.48')!;
    expect(evalOne(xid48).actions).toEqual(['reset-gpu']);
    const ladder: LadderEntry[] = [1, 2, 3, 4].map((i) => ({
      node: 'gpu01',
      code: 'gpu.xid.48',
      step: i <= 2 ? 'reset-gpu' : 'reboot',
      at: i,
    }));
    expect(evalOne(xid48, ladder).actions).toEqual(['inspect-hardware', 'isolate']);
  });
});
