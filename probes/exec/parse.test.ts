import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { type ExecCheckSpec, parseExecCheckOutput } from './parse.ts';

const spec: ExecCheckSpec = { name: 'gpu-burn', format: 'exit-code', severity: 'degraded', action: 'drain' };

describe('parseExecCheckOutput', () => {
  it('exit 0 is healthy', () => {
    expect(parseExecCheckOutput(spec, { stdout: 'all good\n', exitCode: 0 })).toEqual([]);
  });

  it('exit 1 is a finding with the first output line as message', () => {
    const [o] = parseExecCheckOutput(spec, { stdout: 'GPU 3 below 90% of expected TFLOPS\ndetail\n', exitCode: 1 });
    expect(o).toMatchObject({
      code: 'check.gpu-burn',
      severity: 'degraded',
      action: 'drain',
      message: 'GPU 3 below 90% of expected TFLOPS',
      evidence: 'GPU 3 below 90% of expected TFLOPS\ndetail',
    });
  });

  it('any other exit code is an unknown state, not a finding', () => {
    expect(() => parseExecCheckOutput(spec, { stdout: '', exitCode: 2 })).toThrow(/exited 2/);
  });

  it('json format: validated observations', () => {
    const json = { ...spec, format: 'json' as const };
    const out = parseExecCheckOutput(json, {
      stdout: JSON.stringify({
        observations: [{ code: 'site.fan', component: 'fan:2', severity: 'warn', message: 'slow fan' }],
      }),
      exitCode: 0,
    });
    expect(out).toEqual([
      {
        code: 'site.fan',
        component: 'fan:2',
        severity: 'warn',
        action: 'none',
        kind: 'condition',
        message: 'slow fan',
        evidence: '',
      },
    ]);
    expect(() => parseExecCheckOutput(json, { stdout: 'not json', exitCode: 0 })).toThrow(/not JSON/);
    expect(() => parseExecCheckOutput(json, { stdout: '{"observations":[{"code":"X Y"}]}', exitCode: 0 })).toThrow(
      /observations\.0\.code/,
    );
  });

  it('never throws anything but a KeelsonError on arbitrary output', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 3 }), fc.boolean(), (stdout, exitCode, json) => {
        try {
          parseExecCheckOutput({ ...spec, format: json ? 'json' : 'exit-code' }, { stdout, exitCode });
        } catch (err) {
          expect(isKeelsonError(err)).toBe(true);
        }
      }),
    );
  });
});
