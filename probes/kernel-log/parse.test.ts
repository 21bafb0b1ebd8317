/** Line-format parsers: one example per format, the sniffer, blockquote stripping, and fuzzing. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import {
  LINE_FORMATS,
  parseAnyLine,
  parseDmesgLine,
  parseJournalJsonLine,
  parseKernelLog,
  parseKmsgRecord,
  parseLineAs,
  parseSyslogLine,
  sniffFormat,
  stripBlockquote,
} from './parse.ts';

const FIX = path.resolve(import.meta.dirname, '../../test/fixtures/kernel-log');
const fixture = (name: string) => readFileSync(path.join(FIX, name), 'utf8');

describe('parseKmsgRecord', () => {
  it('reads priority, facility, seq, usec and unescapes the message', () => {
    const l = parseKmsgRecord('11,345,943111011,-;keelson \\x09tab');
    expect(l).toEqual({
      text: 'keelson \ttab',
      monotonicUs: 943111011,
      priority: 3,
      facility: 'user',
      seq: 345,
      format: 'kmsg',
    });
  });
  it('accepts extra comma fields before the semicolon', () => {
    expect(parseKmsgRecord('6,12,1000,-,caller=T1;hello')?.text).toBe('hello');
  });
  it('rejects non-records', () => {
    expect(parseKmsgRecord(' SUBSYSTEM=pci')).toBeUndefined();
    expect(parseKmsgRecord('[ 1.0] hello')).toBeUndefined();
  });
});

describe('parseDmesgLine', () => {
  it('reads raw seconds', () => {
    expect(parseDmesgLine('[  123.456789] NVRM: hello')).toEqual({
      text: 'NVRM: hello',
      monotonicUs: 123_456_789,
      format: 'dmesg',
    });
  });
  it('reads dmesg --raw priority prefixes', () => {
    const l = parseDmesgLine('<3>[    1.274000] random: crng');
    expect(l).toMatchObject({ priority: 3, facility: 'kern', monotonicUs: 1_274_000, text: 'random: crng' });
  });
  it('reads -T / --ctime stamps as local time, space-padded days included', () => {
    const l = parseDmesgLine('[Mon Jun  3 10:11:12 2024] msg here');
    expect(l).toEqual({ text: 'msg here', at: new Date(2024, 5, 3, 10, 11, 12).getTime(), format: 'dmesg-T' });
    expect(parseDmesgLine('[Fri Aug 30 11:43:09 2024] x')?.at).toBe(new Date(2024, 7, 30, 11, 43, 9).getTime());
  });
  it('reads --time-format=iso with microseconds and offset', () => {
    const l = parseDmesgLine('2024-06-03T10:11:12,123456+02:00 msg');
    expect(l).toEqual({ text: 'msg', at: Date.UTC(2024, 5, 3, 8, 11, 12, 123.456), format: 'dmesg-iso' });
  });
  it('reads the --decode facility/level prefix', () => {
    const l = parseDmesgLine('kern  :warn  : 2025-01-21T02:21:33,498559+00:00 NVRM: Xid (PCI:0000:38:00): 13, x');
    expect(l).toMatchObject({
      facility: 'kern',
      priority: 4,
      format: 'dmesg-iso',
      text: 'NVRM: Xid (PCI:0000:38:00): 13, x',
    });
  });
  it('rejects impossible dates', () => {
    expect(parseDmesgLine('[Mon Foo  3 10:11:12 2024] msg')).toBeUndefined();
    expect(parseDmesgLine('2024-13-03T10:11:12,1+00:00 msg')).toBeUndefined();
  });
});

describe('parseSyslogLine', () => {
  const now = new Date(2024, 5, 10).getTime();
  it('reads classic syslog with the year of now', () => {
    const l = parseSyslogLine('Jun  3 10:11:12 host kernel: EDAC MC0: 1 CE x', { now });
    expect(l).toEqual({
      text: 'EDAC MC0: 1 CE x',
      at: new Date(2024, 5, 3, 10, 11, 12).getTime(),
      ident: 'kernel',
      facility: 'kern',
      format: 'syslog',
    });
  });
  it('puts a date that would be in the future into the previous year', () => {
    expect(parseSyslogLine('Dec 31 23:00:00 h kernel: x', { now })?.at).toBe(new Date(2023, 11, 31, 23).getTime());
  });
  it('reads systemd-networkd lines with a pid', () => {
    const l = parseSyslogLine('Aug 17 06:18:01 vm-0 systemd-networkd[5398]: ib6: lost carrier', { now });
    expect(l).toMatchObject({ ident: 'systemd-networkd', text: 'ib6: lost carrier' });
  });
  it('leaves at unset without a reference time', () => {
    expect(parseSyslogLine('Jun 03 10:11:12 host kernel: x')?.at).toBeUndefined();
  });
  it('moves a kernel [secs] stamp inside the message into monotonicUs', () => {
    const l = parseSyslogLine('Jun  3 10:00:14 n kernel: [88231.114201] mlx5_core x: Link down', { now });
    expect(l).toMatchObject({ text: 'mlx5_core x: Link down', monotonicUs: 88_231_114_201 });
  });
  it('reads journalctl short-iso with +0000 and +00:00 offsets', () => {
    const a = parseSyslogLine('2025-01-17T17:10:43+0000 host.example kernel: IPv6: x');
    expect(a).toMatchObject({
      at: Date.UTC(2025, 0, 17, 17, 10, 43),
      ident: 'kernel',
      format: 'journalctl-iso',
      text: 'IPv6: x',
    });
    expect(parseSyslogLine('2025-01-17T17:10:43.250+01:00 h kernel: y')?.at).toBe(
      Date.UTC(2025, 0, 17, 16, 10, 43, 250),
    );
  });
});

describe('parseJournalJsonLine', () => {
  it('reads MESSAGE, realtime, monotonic, boot id, priority', () => {
    const l = parseJournalJsonLine(
      '{"MESSAGE":"hi","__REALTIME_TIMESTAMP":"1717409472123456","__MONOTONIC_TIMESTAMP":"5","_BOOT_ID":"b1","PRIORITY":"3","SYSLOG_FACILITY":"0","SYSLOG_IDENTIFIER":"kernel"}',
    );
    expect(l).toEqual({
      text: 'hi',
      at: 1717409472123,
      monotonicUs: 5,
      priority: 3,
      facility: 'kern',
      bootId: 'b1',
      ident: 'kernel',
      format: 'journalctl-json',
    });
  });
  it('decodes MESSAGE given as an array of bytes', () => {
    expect(parseJournalJsonLine('{"MESSAGE":[104,195,169]}')?.text).toBe('hé');
  });
  it('rejects non-objects, null MESSAGE and bad byte arrays', () => {
    expect(parseJournalJsonLine('[1,2]')).toBeUndefined();
    expect(parseJournalJsonLine('{"MESSAGE":null}')).toBeUndefined();
    expect(parseJournalJsonLine('{"MESSAGE":[300]}')).toBeUndefined();
    expect(parseJournalJsonLine('{"MESSAGE":')).toBeUndefined();
  });
});

describe('stripBlockquote and sniffFormat', () => {
  it('strips > prefixes only when most lines carry them', () => {
    expect(stripBlockquote('> [1.0] a\n>\n> [2.0] b\n')).toBe('[1.0] a\n\n[2.0] b\n');
    expect(stripBlockquote('[1.0] a\n> quoted\n[2.0] b\n[3.0] c\n[4.0] d')).toBe(
      '[1.0] a\n> quoted\n[2.0] b\n[3.0] c\n[4.0] d',
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
  ])('sniffs %s as %s', (name, format) => {
    expect(sniffFormat(fixture(name))).toBe(format);
  });
  it('sniffs text with no stamps as plain', () => {
    expect(sniffFormat('INFO: task x:1 blocked for more than 120 seconds.\nCall Trace:\n')).toBe('plain');
  });
});

describe('parseKernelLog', () => {
  it('keeps non-matching lines as plain text and drops kmsg dictionary lines', () => {
    const lines = parseKernelLog(fixture('kmsg-xid48-63.log'));
    expect(lines.every((l) => l.format === 'kmsg')).toBe(true);
    expect(lines.map((l) => l.seq)).toEqual([20811, 20812, 20813, 20814, 20815, 20816, 20817]);
    const dm = parseKernelLog(fixture('dmesg-edac-mce-hung.log'));
    expect(dm.length).toBe(11);
    expect(dm.every((l) => l.format === 'dmesg')).toBe(true);
  });
  it('parses syslog lines with a reference year', () => {
    const lines = parseKernelLog(fixture('syslog-mlx5-flap.log'), { now: new Date(2024, 6, 1).getTime() });
    expect(lines[1]).toMatchObject({ ident: 'kernel', at: new Date(2024, 5, 3, 10, 0, 14).getTime() });
  });
});

/** Mutations of real-format text: drop lines, truncate, replace characters. */
const realText = () =>
  readdirSync(FIX)
    .map((f) => fixture(f))
    .join('\n');

function mutated(): fc.Arbitrary<string> {
  const lines = realText().split('\n');
  return fc
    .tuple(
      fc.array(fc.boolean(), { minLength: lines.length, maxLength: lines.length }),
      fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 3 })), { maxLength: 20 }),
      fc.nat(),
    )
    .map(([keep, repl, cut]) => {
      let t = lines.filter((_, i) => keep[i]).join('\n');
      for (const [pos, s] of repl) {
        const p = t.length === 0 ? 0 : pos % t.length;
        t = t.slice(0, p) + s + t.slice(p + s.length);
      }
      return t.slice(0, t.length === 0 ? 0 : cut % (t.length + 1));
    });
}

function noThrowExceptKeelson(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!isKeelsonError(err, 'PARSE_FAILED')) throw err;
  }
}

describe('parsers never throw (fast-check)', () => {
  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        noThrowExceptKeelson(() => parseAnyLine(s, { now: 0 }));
        for (const f of LINE_FORMATS) noThrowExceptKeelson(() => parseLineAs(s, f, { now: 0 }));
        noThrowExceptKeelson(() => parseKernelLog(s, { now: 0 }));
        noThrowExceptKeelson(() => sniffFormat(s));
      }),
      { numRuns: 300 },
    );
  });
  it('on mutated real-format captures', () => {
    fc.assert(
      fc.property(mutated(), (s) => {
        noThrowExceptKeelson(() => parseKernelLog(s, { now: 1_700_000_000_000 }));
        for (const f of LINE_FORMATS) noThrowExceptKeelson(() => parseKernelLog(s, { format: f, now: 0 }));
      }),
      { numRuns: 150 },
    );
  });
});
