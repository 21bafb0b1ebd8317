import { describe, expect, it } from 'vitest';
import { planRestart, restartHookSchema } from './restart-hook.ts';

const req = { job: 'llm', attempt: 2 };

describe('planRestart', () => {
  it('fills the placeholders of a command, a unit or a signal pattern', () => {
    expect(
      planRestart(
        restartHookSchema.parse({ command: ['/opt/site/restart', '{job}', '{attempt}', '{node}'] }),
        req,
        'gpu07',
      ),
    ).toEqual({
      command: '/opt/site/restart',
      args: ['llm', '2', 'gpu07'],
    });
    expect(planRestart(restartHookSchema.parse({ systemdUnit: 'train@{job}.service' }), req, 'n')).toEqual({
      command: 'systemctl',
      args: ['restart', 'train@llm.service'],
    });
    expect(planRestart(restartHookSchema.parse({ signal: { pattern: 'train.py --job {job}' } }), req, 'n')).toEqual({
      command: 'pkill',
      args: ['-TERM', '-f', 'train.py --job llm'],
    });
  });

  it('refuses when nothing is configured, and a config naming two ways', () => {
    expect(() => planRestart(undefined, req, 'n')).toThrow(/no restart hook is configured/);
    expect(restartHookSchema.safeParse({ command: ['x'], systemdUnit: 'y' }).success).toBe(false);
  });
});
