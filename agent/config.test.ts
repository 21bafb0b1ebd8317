import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isKeelsonError } from '../core/errors.ts';
import { resolveAgentConfig } from './config.ts';

const defaults = { nodeId: 'gpu01', stateDir: '/tmp/k' };

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (!isKeelsonError(err)) throw err;
    return `${err.code} ${err.message}`;
  }
  return 'no error';
}

describe('resolveAgentConfig', () => {
  it('runs on embedded defaults alone', () => {
    const c = resolveAgentConfig({ env: {}, flags: {}, defaults });
    expect(c.nodeId).toBe('gpu01');
    expect(c.collector.heartbeatMs).toBe(5000);
    expect(c.roots).toEqual({ sys: '/sys', proc: '/proc', dev: '/dev' });
    expect(c.collector.url).toBeUndefined();
  });

  it('layers file < env < flags', () => {
    const fileText = 'nodeId: from-file\ncollector:\n  url: ws://file:1/ws/agent\n  heartbeatMs: 1000\n';
    const c = resolveAgentConfig({
      fileText,
      env: { KEELSON_NODE_ID: 'from-env', KEELSON_COLLECTOR_URL: 'ws://env:2/ws/agent' },
      flags: { collector: 'ws://flag:3/ws/agent' },
      defaults,
    });
    expect(c.nodeId).toBe('from-env');
    expect(c.collector.url).toBe('ws://flag:3/ws/agent');
    expect(c.collector.heartbeatMs).toBe(1000);
  });

  it('names the key and the problem', () => {
    expect(
      errorOf(() => resolveAgentConfig({ fileText: 'collector:\n  url: http://x\n', env: {}, flags: {}, defaults })),
    ).toMatch(/CONFIG_INVALID .*collector\.url: must be a ws:\/\/ or wss:\/\/ URL/);
    expect(errorOf(() => resolveAgentConfig({ fileText: 'collectr: {}\n', env: {}, flags: {}, defaults }))).toMatch(
      /CONFIG_INVALID .*collectr/,
    );
    expect(
      errorOf(() =>
        resolveAgentConfig({ fileText: 'checks:\n  - name: Bad Name\n    command: x\n', env: {}, flags: {}, defaults }),
      ),
    ).toMatch(/checks\.0\.name/);
    expect(errorOf(() => resolveAgentConfig({ env: { KEELSON_API_PORT: 'eighty' }, flags: {}, defaults }))).toMatch(
      /KEELSON_API_PORT: expected an integer/,
    );
    expect(
      errorOf(() => resolveAgentConfig({ fileText: 'a: [1, 2', fileName: 'agent.yaml', env: {}, flags: {}, defaults })),
    ).toMatch(/CONFIG_UNREADABLE agent\.yaml: not valid YAML/);
    expect(
      errorOf(() => resolveAgentConfig({ fileText: 'nodeId: !secret x\n', env: {}, flags: {}, defaults })),
    ).toMatch(/CONFIG_UNREADABLE .*Unresolved tag/);
    expect(errorOf(() => resolveAgentConfig({ fileText: '- 1\n- 2\n', env: {}, flags: {}, defaults }))).toMatch(
      /top level must be a mapping/,
    );
  });

  it('never throws anything but a KeelsonError, whatever the file says', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.anything().map((v) => stringify(v)),
        ),
        (text) => {
          try {
            resolveAgentConfig({ fileText: text, env: {}, flags: {}, defaults });
          } catch (err) {
            expect(isKeelsonError(err)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts any valid heartbeat and keeps it exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 600_000 }), fc.integer({ min: 300, max: 3_600_000 }), (hb, dead) => {
        const c = resolveAgentConfig({
          fileText: stringify({ collector: { heartbeatMs: hb, deadPeerMs: dead } }),
          env: {},
          flags: {},
          defaults,
        });
        expect([c.collector.heartbeatMs, c.collector.deadPeerMs]).toEqual([hb, dead]);
      }),
      { numRuns: 200 },
    );
  });
});
