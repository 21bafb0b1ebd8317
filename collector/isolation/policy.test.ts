import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import type { Finding } from '../../core/finding.ts';
import { parsePolicy } from './policy.ts';
import { evaluatePolicy, type Occurrence } from './policy-eval.ts';

const POLICY = `
version: 1
ladder:
  steps: [restart-job, reset-gpu, reboot, inspect-hardware]
  repeats: { reboot: 2 }
rules:
  - name: ignore-lost
    match: { code: node.lost }
    do: [none]
    final: true
  - name: fatal
    match: { severity: [fatal] }
    do: [isolate, escalate]
  - name: xid-burst
    match: { code: 'gpu.xid.*', action: [restart-job] }
    count: { atLeast: 3, withinMinutes: 10, per: component }
    do: [reset-gpu]
  - name: gpu-only
    match: { code: 'gpu.*', component: 'gpu:*', minSeverity: degraded }
    do: [inspect-hardware]
`;

function occ(over: Partial<Occurrence> = {}): Occurrence {
  return {
    node: 'gpu01',
    code: 'gpu.xid.79',
    component: 'gpu:3',
    severity: 'fatal',
    action: 'reboot',
    kind: 'event',
    at: 1_000_000,
    n: 1,
    ...over,
  };
}

describe('parsePolicy', () => {
  it('names the rule and key of an invalid policy', () => {
    const bad = POLICY.replace('do: [reset-gpu]', 'do: [explode]');
    try {
      parsePolicy(bad, 'p.yaml');
      expect.unreachable();
    } catch (err) {
      expect(isKeelsonError(err, 'POLICY_INVALID')).toBe(true);
      expect((err as Error).message).toMatch(/p\.yaml: rule "xid-burst": do\.0/);
    }
  });

  it('rejects unknown keys, duplicate names and bad YAML', () => {
    expect(() => parsePolicy(POLICY.replace('final: true', 'final: true\n    extra: 1'))).toThrow(/extra|Unrecognized/);
    expect(() => parsePolicy(POLICY.replace('name: gpu-only', 'name: fatal'))).toThrow(/unique/);
    expect(() => parsePolicy('version: 1\nrules: [')).toThrow(/not valid YAML/);
    expect(() => parsePolicy(POLICY.replace('version: 1', 'version: 2'))).toThrow(/version/);
  });
});

describe('evaluatePolicy', () => {
  const policy = parsePolicy(POLICY);

  it('fatal → isolate and the ladder step for the suggested action', () => {
    const d = evaluatePolicy(policy, occ(), [], []);
    expect(d.rules).toEqual(['fatal', 'gpu-only']);
    expect(d.actions).toEqual(['isolate', 'reboot', 'inspect-hardware']);
    expect(d.ladderStep).toBe('reboot');
  });

  it('a final none rule stops everything', () => {
    const d = evaluatePolicy(policy, occ({ code: 'node.lost', component: 'node', severity: 'fatal' }), [], []);
    expect(d.rules).toEqual(['ignore-lost']);
    expect(d.actions).toEqual([]);
  });

  it('counts within the window, per component', () => {
    const base = { code: 'gpu.xid.13', severity: 'warn' as const, action: 'restart-job' as Finding['action'] };
    const cur = occ({ ...base, at: 2_000_000 });
    const older = [
      occ({ ...base, at: 2_000_000 - 9 * 60_000 }),
      occ({ ...base, at: 2_000_000 - 11 * 60_000 }), // outside the window
      occ({ ...base, at: 2_000_000 - 60_000, component: 'gpu:4' }), // other component
      occ({ ...base, at: 2_000_000 - 60_000, node: 'gpu02' }), // other node
    ];
    expect(evaluatePolicy(policy, cur, older, []).actions).toEqual([]);
    const d = evaluatePolicy(policy, cur, [...older, occ({ ...base, at: 2_000_000 - 30_000, n: 1 })], []);
    expect(d.actions).toEqual(['reset-gpu']);
    expect(d.why[0]).toMatch(/3× within 10 min per component/);
  });

  it('component globs and minimum severity restrict a rule', () => {
    const d = evaluatePolicy(policy, occ({ component: 'host', severity: 'degraded', action: 'none' }), [], []);
    expect(d.rules).toEqual([]);
    const e = evaluatePolicy(policy, occ({ code: 'gpu.ecc.dbe', severity: 'warn', action: 'none' }), [], []);
    expect(e.rules).toEqual([]);
  });
});
