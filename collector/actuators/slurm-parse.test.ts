import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { isIsolatedSlurmState, parseSinfoNodes } from './slurm-parse.ts';

const FIXTURE = new URL('../../test/fixtures/isolation/sinfo-N-gpu01-04.txt', import.meta.url);

describe('parseSinfoNodes', () => {
  it('reads names, states and reasons from a real sinfo listing', () => {
    const nodes = parseSinfoNodes(readFileSync(FIXTURE, 'utf8'));
    expect(nodes.get('gpu01')).toEqual({ exists: true, isolated: false, state: 'idle' });
    expect(nodes.get('gpu02')).toEqual({
      exists: true,
      isolated: true,
      state: 'drained',
      reason: 'keelson: gpu.xid.79 gpu:3 GPU has fallen off the bus',
    });
    expect(nodes.get('gpu03')).toMatchObject({ isolated: true, reason: 'operator: replace PSU | ticket 42' });
    expect(nodes.get('gpu04')).toMatchObject({ isolated: false, state: 'idle*' });
  });

  it('classifies Slurm states', () => {
    for (const s of ['drained', 'draining', 'drained*', 'down', 'down*', 'fail', 'failing', 'maint']) {
      expect(isIsolatedSlurmState(s)).toBe(true);
    }
    for (const s of ['idle', 'idle*', 'allocated', 'mixed', 'completing', 'idle~', 'reserved']) {
      expect(isIsolatedSlurmState(s)).toBe(false);
    }
  });

  it('keeps any reason text intact, including separators', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
        fc.constantFrom('idle', 'drained', 'down*', 'mixed'),
        fc
          .string({ minLength: 1 })
          .filter((s) => !/[\n\r]/.test(s) && s.trim() !== '' && s.trim() !== 'none' && s.trim() !== '(null)'),
        (name, state, reason) => {
          const got = parseSinfoNodes(`${name}|${state}|${reason}\n`).get(name);
          expect(got?.reason).toBe(reason.trim());
          expect(got?.isolated).toBe(isIsolatedSlurmState(state));
        },
      ),
    );
  });

  it('rejects output that is not in the expected format', () => {
    try {
      parseSinfoNodes('NODELIST STATE REASON\n');
      expect.unreachable();
    } catch (err) {
      expect(isKeelsonError(err, 'PARSE_FAILED')).toBe(true);
    }
  });
});
