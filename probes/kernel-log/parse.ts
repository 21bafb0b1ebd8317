/**
 * Kernel-log line formats → KernelLine: raw /dev/kmsg records, dmesg (raw seconds, -T/--ctime,
 * --time-format=iso, with or without --decode), journalctl -k (short, short-iso, json) and
 * classic syslog. Pure: no disk, no clock, no processes; never throws on garbage.
 */

/** One kernel (or kernel-adjacent syslog) message, whatever format it came in. */
export interface KernelLine {
  /** The message text, without timestamp/host/priority prefixes. */
  text: string;
  /** Wall-clock epoch ms, when the format says. */
  at?: number;
  /** Microseconds since boot (kmsg, dmesg raw, journal json). */
  monotonicUs?: number;
  /** Syslog level 0 (emerg) .. 7 (debug). */
  priority?: number;
  /** /dev/kmsg sequence number. */
  seq?: number;
  /** Syslog facility name (`kern`, `user`, ...). */
  facility?: string;
  /** Boot id, when the format carries it (journal json). */
  bootId?: string;
  /** The syslog identifier (`kernel`, `systemd-networkd`), for syslog/journal text formats. */
  ident?: string;
  /** Which format the line was read as. */
  format: LineFormat;
}

/** Every line format this module reads. `plain` is a line with no recognisable prefix. */
export const LINE_FORMATS = [
  'kmsg',
  'dmesg',
  'dmesg-T',
  'dmesg-iso',
  'journalctl-short',
  'journalctl-iso',
  'journalctl-json',
  'syslog',
  'plain',
] as const;
export type LineFormat = (typeof LINE_FORMATS)[number];

/** Options for formats that need a reference date (syslog/short lines carry no year). */
export interface ParseOptions {
  /** Epoch ms standing for "now"; used to infer the year of year-less timestamps. */
  now?: number;
}

const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
] as const;
const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function facilityName(n: number): string {
  return FACILITIES[n] ?? (n >= 16 && n <= 23 ? `local${n - 16}` : String(n));
}

/** Undo the `\xNN` escaping /dev/kmsg applies to non-printable bytes. */
function unescapeKmsg(s: string): string {
  if (!s.includes('\\x')) return s;
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

const KMSG_RE = /^(\d{1,4}),(\d{1,20}),(\d{1,20}),([^;,]*)(?:,[^;]*)?;(.*)$/;

/** One /dev/kmsg record header line (`prio,seq,usec,flags;message`); undefined if it is not one. */
export function parseKmsgRecord(line: string): KernelLine | undefined {
  const m = KMSG_RE.exec(line);
  if (!m) return undefined;
  const prio = Number(m[1]);
  const seq = Number(m[2]);
  const usec = Number(m[3]);
  if (!Number.isSafeInteger(seq) || !Number.isFinite(usec)) return undefined;
  return {
    text: unescapeKmsg(m[5] ?? ''),
    monotonicUs: usec,
    priority: prio & 7,
    facility: facilityName(prio >> 3),
    seq,
    format: 'kmsg',
  };
}

/** `kern  :warn  : ` prefix of `dmesg --decode`. */
const DECODE_RE = /^([a-z0-9]+)\s*:\s*([a-z]+)\s*:\s?(.*)$/;

function splitDecode(line: string): { facility?: string; priority?: number; rest: string } {
  const m = DECODE_RE.exec(line);
  if (m) {
    const lvl = (LEVELS as readonly string[]).indexOf(m[2] ?? '');
    const fac = m[1] ?? '';
    if (lvl >= 0 && ((FACILITIES as readonly string[]).includes(fac) || /^local[0-7]$/.test(fac))) {
      return { facility: fac, priority: lvl, rest: m[3] ?? '' };
    }
  }
  const raw = /^<(\d{1,4})>(.*)$/.exec(line);
  if (raw) {
    const p = Number(raw[1]);
    return { facility: facilityName(p >> 3), priority: p & 7, rest: raw[2] ?? '' };
  }
  return { rest: line };
}

const DMESG_RE = /^\[\s*(\d{1,10})\.(\d{1,9})\]\s?(.*)$/;
const DMESG_T_RE =
  /^\[(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))? (\d{4})\]\s?(.*)$/;
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:([.,])(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?(?=\s)\s(.*)$/;
const SYSLOG_RE =
  /^([A-Z][a-z]{2})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? (\S+) ([^:[\s]+)(?:\[(\d+)\])?: ?(.*)$/;
const HOST_IDENT_RE = /^(\S+) ([^:[\s]+)(?:\[(\d+)\])?: ?(.*)$/;

function fractionMs(frac: string | undefined): number {
  if (!frac) return 0;
  return Math.floor(Number(`0.${frac}`) * 1000);
}

function offsetMinutes(tz: string | undefined): number | undefined {
  if (tz === undefined) return undefined;
  if (tz === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(tz);
  if (!m) return undefined;
  const v = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -v : v;
}

function validDate(ms: number): number | undefined {
  return Number.isFinite(ms) ? ms : undefined;
}

/** Local-time epoch ms for a calendar date (dmesg -T and syslog print local time). */
function localMs(y: number, mon: number, d: number, h: number, mi: number, s: number, ms: number): number | undefined {
  if (mon < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  return validDate(new Date(y, mon, d, h, mi, s, ms).getTime());
}

/** Year for a year-less timestamp: the year of `now`, or the one before if that lands in the future. */
function inferYear(mon: number, d: number, now: number | undefined): number | undefined {
  if (now === undefined) return undefined;
  const y = new Date(now).getFullYear();
  const candidate = new Date(y, mon, d).getTime();
  return candidate > now + 2 * 86_400_000 ? y - 1 : y;
}

/** A `dmesg` line in any of its timestamp styles (raw seconds, -T/--ctime, iso), with or without --decode. */
export function parseDmesgLine(line: string): KernelLine | undefined {
  const { facility, priority, rest } = splitDecode(line);
  const extra = { ...(facility !== undefined ? { facility } : {}), ...(priority !== undefined ? { priority } : {}) };
  let m = DMESG_RE.exec(rest);
  if (m) {
    const us = Number(m[1]) * 1e6 + Math.round(Number(`0.${m[2]}`) * 1e6);
    return { text: m[3] ?? '', monotonicUs: us, ...extra, format: 'dmesg' };
  }
  m = DMESG_T_RE.exec(rest);
  if (m) {
    const mon = MONTHS.indexOf(m[1] ?? '');
    const at = localMs(Number(m[7]), mon, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), fractionMs(m[6]));
    if (at === undefined) return undefined;
    return { text: m[8] ?? '', at, ...extra, format: 'dmesg-T' };
  }
  m = ISO_RE.exec(rest);
  if (m && m[7] === ',') {
    const at = isoMs(m);
    if (at === undefined) return undefined;
    return { text: m[10] ?? '', at, ...extra, format: 'dmesg-iso' };
  }
  return undefined;
}

function isoMs(m: RegExpExecArray): number | undefined {
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const off = offsetMinutes(m[9]);
  const frac = fractionMs(m[8]);
  if (off === undefined) return localMs(y, mo - 1, d, h, mi, s, frac);
  return validDate(Date.UTC(y, mo - 1, d, h, mi, s) + frac - off * 60_000);
}

/**
 * A syslog-style text line: classic `/var/log/syslog` / `journalctl -k` short
 * (`Jun  3 10:11:12 host kernel: msg`) or short-iso / RFC 3339 (`2024-06-03T10:11:12+0000 host kernel: msg`).
 */
export function parseSyslogLine(line: string, opts: ParseOptions = {}): KernelLine | undefined {
  let m = SYSLOG_RE.exec(line);
  if (m) {
    const mon = MONTHS.indexOf(m[1] ?? '');
    if (mon < 0) return undefined;
    const d = Number(m[2]);
    const year = inferYear(mon, d, opts.now);
    const at =
      year === undefined
        ? undefined
        : localMs(year, mon, d, Number(m[3]), Number(m[4]), Number(m[5]), fractionMs(m[6]));
    const ident = m[8] ?? '';
    const format: LineFormat = m[2]?.length === 1 || line[4] === ' ' ? 'syslog' : 'journalctl-short';
    return withInnerStamp({
      text: m[10] ?? '',
      ...(at !== undefined ? { at } : {}),
      ident,
      ...kernelFacility(ident),
      format,
    });
  }
  m = ISO_RE.exec(line);
  if (m && m[7] !== ',') {
    const hm = HOST_IDENT_RE.exec(m[10] ?? '');
    if (!hm) return undefined;
    const at = isoMs(m);
    const ident = hm[2] ?? '';
    return withInnerStamp({
      text: hm[4] ?? '',
      ...(at !== undefined ? { at } : {}),
      ident,
      ...kernelFacility(ident),
      format: 'journalctl-iso',
    });
  }
  return undefined;
}

function kernelFacility(ident: string): { facility?: string } {
  return ident === 'kernel' ? { facility: 'kern' } : {};
}

/** kern.log lines often keep the kernel's own `[secs.usec] ` stamp inside the message. */
function withInnerStamp(l: KernelLine): KernelLine {
  if (l.ident !== 'kernel') return l;
  const m = DMESG_RE.exec(l.text);
  if (!m) return l;
  return { ...l, text: m[3] ?? '', monotonicUs: Number(m[1]) * 1e6 + Math.round(Number(`0.${m[2]}`) * 1e6) };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function numStr(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && String(v).trim() !== '' ? n : undefined;
}

/** MESSAGE of a journal json entry: a string, or an array of bytes for non-UTF-8 text. */
function journalMessage(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) {
    return Buffer.from(v as number[]).toString('utf8');
  }
  return undefined;
}

/** One `journalctl -o json` line (one JSON object); undefined if it is not one. */
export function parseJournalJsonLine(line: string): KernelLine | undefined {
  const t = line.trim();
  if (!t.startsWith('{')) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  const text = journalMessage(o.MESSAGE);
  if (text === undefined) return undefined;
  const rt = numStr(o.__REALTIME_TIMESTAMP);
  const mono = numStr(o._SOURCE_MONOTONIC_TIMESTAMP) ?? numStr(o.__MONOTONIC_TIMESTAMP);
  const prio = numStr(o.PRIORITY);
  const fac = numStr(o.SYSLOG_FACILITY);
  const boot = str(o._BOOT_ID);
  const ident = str(o.SYSLOG_IDENTIFIER) ?? (o._TRANSPORT === 'kernel' ? 'kernel' : undefined);
  return {
    text,
    ...(rt !== undefined ? { at: Math.floor(rt / 1000) } : {}),
    ...(mono !== undefined ? { monotonicUs: mono } : {}),
    ...(prio !== undefined && prio >= 0 && prio <= 7 ? { priority: prio } : {}),
    ...(fac !== undefined ? { facility: facilityName(fac) } : o._TRANSPORT === 'kernel' ? { facility: 'kern' } : {}),
    ...(boot ? { bootId: boot } : {}),
    ...(ident ? { ident } : {}),
    format: 'journalctl-json',
  };
}

/** Parse one line as the given format; undefined when the line is not in that format. */
export function parseLineAs(line: string, format: LineFormat, opts: ParseOptions = {}): KernelLine | undefined {
  switch (format) {
    case 'kmsg':
      return parseKmsgRecord(line);
    case 'dmesg':
    case 'dmesg-T':
    case 'dmesg-iso': {
      const l = parseDmesgLine(line);
      return l?.format === format ? l : undefined;
    }
    case 'journalctl-short':
    case 'syslog':
    case 'journalctl-iso': {
      const l = parseSyslogLine(line, opts);
      if (!l) return undefined;
      if (format === 'journalctl-iso') return l.format === 'journalctl-iso' ? l : undefined;
      return l.format === 'journalctl-iso' ? undefined : { ...l, format };
    }
    case 'journalctl-json':
      return parseJournalJsonLine(line);
    case 'plain':
      return { text: line, format: 'plain' };
  }
}

/** Parse one line in whichever format it is in (falls back to `plain`). */
export function parseAnyLine(line: string, opts: ParseOptions = {}): KernelLine {
  return (
    parseKmsgRecord(line) ??
    parseJournalJsonLine(line) ??
    parseDmesgLine(line) ??
    parseSyslogLine(line, opts) ?? { text: line, format: 'plain' }
  );
}

/**
 * Remove markdown blockquote prefixes (`> `) when most non-empty lines carry one (captures
 * pasted from a README); lone `>` spacer lines become empty. Other text is returned unchanged.
 */
export function stripBlockquote(text: string): string {
  const lines = text.split('\n');
  const nonEmpty = lines.filter((l) => l.trim() !== '');
  if (nonEmpty.length === 0) return text;
  const quoted = nonEmpty.filter((l) => /^\s*>/.test(l)).length;
  if (quoted / nonEmpty.length < 0.8) return text;
  return lines.map((l) => l.replace(/^\s*> ?/, '')).join('\n');
}

const SNIFF_ORDER: readonly LineFormat[] = [
  'kmsg',
  'journalctl-json',
  'dmesg',
  'dmesg-T',
  'dmesg-iso',
  'journalctl-iso',
  'syslog',
  'journalctl-short',
];

/** The format most of the first lines of a capture are in (`plain` when none fits). */
export function sniffFormat(text: string): LineFormat {
  const lines = stripBlockquote(text)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 200);
  const counts = new Map<LineFormat, number>();
  let nonKernelIdent = false;
  for (const l of lines) {
    const parsed = parseAnyLine(l, { now: 0 });
    counts.set(parsed.format, (counts.get(parsed.format) ?? 0) + 1);
    if (parsed.ident !== undefined && parsed.ident !== 'kernel' && parsed.format !== 'journalctl-json')
      nonKernelIdent = true;
  }
  let best: LineFormat = 'plain';
  let bestCount = 0;
  for (const f of SNIFF_ORDER) {
    const c = counts.get(f) ?? 0;
    if (c > bestCount) {
      best = f;
      bestCount = c;
    }
  }
  // syslog and journalctl -k short share a layout; `journalctl -k` only ever names `kernel`.
  if (best === 'journalctl-short' && ((counts.get('syslog') ?? 0) > 0 || nonKernelIdent)) best = 'syslog';
  return best;
}

/**
 * Parse a whole capture: strips blockquotes, sniffs (or uses the given) format, and reads each
 * line in it; lines that are not in the format (call-trace continuations, /dev/kmsg dictionary
 * lines) become `plain` lines so no text is lost. Empty lines are dropped.
 */
export function parseKernelLog(text: string, opts: ParseOptions & { format?: LineFormat } = {}): KernelLine[] {
  const body = stripBlockquote(text);
  const format = opts.format ?? sniffFormat(body);
  const out: KernelLine[] = [];
  for (const raw of body.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    // /dev/kmsg dictionary continuation lines (` KEY=value`) belong to the record before them.
    if (format === 'kmsg' && line.startsWith(' ')) continue;
    out.push(parseLineAs(line, format, opts) ?? { text: line.trimEnd(), format: 'plain' });
  }
  return out;
}
