import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../core/errors.ts';
import { decodeAgentMessage, decodeCollectorMessage, encodeMessage } from './codec.ts';
import type { AgentMessage, WireFinding } from './messages.ts';
import { PROTOCOL_VERSION } from './version.ts';

const finding: WireFinding = {
  code: 'gpu.xid.79',
  component: 'gpu:3',
  severity: 'fatal',
  action: 'drain',
  kind: 'event',
  message: 'GPU has fallen off the bus',
  evidence: 'NVRM: Xid (PCI:0000:91:00): 79, pid=1234, GPU has fallen off the bus.',
  firstSeen: 1_700_000_000_000,
  lastSeen: 1_700_000_000_000,
  count: 1,
};

const hello: AgentMessage = {
  v: PROTOCOL_VERSION,
  ts: 1,
  type: 'hello',
  nodeId: 'gpu01',
  hostname: 'gpu01.example',
  labels: { rack: 'r1' },
  agentVersion: '0.1.0',
  capabilities: ['probes'],
  epoch: 'e1',
  lastAckedSeq: 0,
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isKeelsonError(err) ? err.code : `not a KeelsonError: ${String(err)}`;
  }
  return undefined;
}

describe('codec', () => {
  it('round-trips every agent message kind', () => {
    const msgs: AgentMessage[] = [
      hello,
      { v: 1, ts: 2, type: 'heartbeat' },
      { v: 1, ts: 3, type: 'findings', seq: 1, changes: [{ change: 'opened', finding }] },
      {
        v: 1,
        ts: 4,
        type: 'snapshot',
        seq: 2,
        health: 'fatal',
        findings: [finding],
        probes: [{ name: 'host', status: 'ok' }],
      },
      { v: 1, ts: 5, type: 'metrics', seq: 3, samples: [{ name: 'host_load1', value: 0.5, labels: { a: 'b' } }] },
      { v: 1, ts: 6, type: 'command-result', seq: 4, commandId: 'c1', ok: true, result: { ran: 'host' } },
    ];
    for (const m of msgs) expect(decodeAgentMessage(encodeMessage(m))).toEqual(m);
  });

  it('decodes raw msgpack bytes written by hand', () => {
    // fixmap(3) { "v": 1, "ts": 0, "type": "heartbeat" }
    const bytes = Buffer.from([
      0x83, 0xa1, 0x76, 0x01, 0xa2, 0x74, 0x73, 0x00, 0xa4, 0x74, 0x79, 0x70, 0x65, 0xa9, 0x68, 0x65, 0x61, 0x72, 0x74,
      0x62, 0x65, 0x61, 0x74,
    ]);
    expect(decodeCollectorMessage(bytes)).toEqual({ v: 1, ts: 0, type: 'heartbeat' });
  });

  it('refuses garbage, wrong versions, unknown types, invalid fields and oversized frames with stable codes', () => {
    const p = new Packr({ useRecords: false });
    expect(codeOf(() => decodeAgentMessage(Buffer.from([0x83, 0xa1])))).toBe('PROTO_MALFORMED');
    expect(codeOf(() => decodeAgentMessage(p.pack([1, 2, 3])))).toBe('PROTO_MALFORMED');
    expect(codeOf(() => decodeAgentMessage(p.pack({ ...hello, v: 99 })))).toBe('PROTO_VERSION');
    expect(codeOf(() => decodeAgentMessage(p.pack({ v: 1, ts: 1, type: 'drop-tables' })))).toBe('PROTO_UNKNOWN_TYPE');
    expect(codeOf(() => decodeAgentMessage(p.pack({ ...hello, nodeId: 42 })))).toBe('PROTO_INVALID');
    expect(codeOf(() => decodeAgentMessage(encodeMessage(hello), 10))).toBe('PROTO_TOO_LARGE');
    // a collector-only message sent by an agent is unknown to the collector's decoder
    expect(codeOf(() => decodeAgentMessage(p.pack({ v: 1, ts: 1, type: 'ack', seq: 1 })))).toBe('PROTO_UNKNOWN_TYPE');
  });

  it('names the offending field', () => {
    const p = new Packr({ useRecords: false });
    const bad = {
      v: 1,
      ts: 3,
      type: 'findings',
      seq: 1,
      changes: [{ change: 'opened', finding: { ...finding, severity: 'meh' } }],
    };
    expect(() => decodeAgentMessage(p.pack(bad))).toThrow(/changes\.0\.finding\.severity/);
  });

  it('never throws anything but a KeelsonError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const code = codeOf(() => decodeAgentMessage(bytes));
        expect(code === undefined || code.startsWith('PROTO_')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but a KeelsonError on mutated valid frames', () => {
    const frame = encodeMessage({ v: 1, ts: 3, type: 'findings', seq: 7, changes: [{ change: 'opened', finding }] });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(frame.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (muts) => {
          const copy = Buffer.from(frame);
          for (const [i, b] of muts) copy[i] = b;
          const code = codeOf(() => decodeAgentMessage(copy));
          expect(code === undefined || code.startsWith('PROTO_')).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('round-trips arbitrary valid findings messages', () => {
    const sev = fc.constantFrom('info', 'warn', 'degraded', 'fatal' as const);
    const arbFinding = fc.record({
      code: fc.string({ maxLength: 40 }),
      component: fc.string({ maxLength: 40 }),
      severity: sev,
      action: fc.constantFrom('none', 'drain', 'reboot' as const),
      kind: fc.constantFrom('condition', 'event' as const),
      message: fc.string({ maxLength: 100 }),
      evidence: fc.string({ maxLength: 100 }),
      firstSeen: fc.nat(),
      lastSeen: fc.nat(),
      count: fc.integer({ min: 1, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(arbFinding, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1 }), (fs, s) => {
        const msg: AgentMessage = {
          v: 1,
          ts: 1,
          type: 'findings',
          seq: s,
          changes: fs.map((f) => ({ change: 'updated' as const, finding: f as WireFinding })),
        };
        expect(decodeAgentMessage(encodeMessage(msg))).toEqual(msg);
      }),
    );
  });
});
