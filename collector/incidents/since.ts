/**
 * The start of a time window as people and pages write it — `7d`, `24h`, `30m`, `90s`, `2w`
 * back from now, an ISO date (`2026-01-07`, `2026-01-07T10:00Z`; no zone means UTC), or epoch
 * milliseconds — parsed into epoch ms. Pure: `now` is passed in. Shared by the incident routes
 * (`?since=`) and `keelson incidents|report --since`.
 */
import { KeelsonError } from '../../core/errors.ts';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Bare numbers shorter than this are refused: `7` is a forgotten unit, not 7 ms after 1970. */
const MIN_EPOCH_MS = 100_000_000_000;

const RELATIVE = /^(\d{1,9})\s*([smhdw])$/;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))?$/i;

function invalid(text: string, why: string): KeelsonError {
  return new KeelsonError(
    'CONFIG_INVALID',
    `since: ${JSON.stringify(text.slice(0, 60))} ${why}; expected a duration back from now (7d, 24h, 30m, 90s), an ISO date (2026-01-07 or 2026-01-07T10:00Z) or epoch milliseconds`,
  );
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function parseIso(text: string, m: RegExpExecArray): number {
  const n = (i: number) => Number(m[i] ?? 0);
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) throw invalid(text, 'is not a calendar date');
  if (hour > 23 || minute > 59 || second > 59) throw invalid(text, 'is not a time of day');
  let offsetMin = 0;
  if (m[9]) {
    const oh = n(10);
    const om = n(11);
    if (oh > 23 || om > 59) throw invalid(text, 'has an invalid zone offset');
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, ms);
  return utc.getTime() - offsetMin * 60_000;
}

/**
 * Epoch ms for a `since` text at time `now`. Durations reaching before 1970 give 0; absolute
 * times after `now` are refused (the window would be empty). Throws KeelsonError
 * CONFIG_INVALID naming what was wrong.
 */
export function parseSince(text: string, now: number): number {
  const t = text.trim();
  if (t === '') throw invalid(text, 'is empty');
  const rel = RELATIVE.exec(t.toLowerCase());
  if (rel) return Math.max(0, now - Number(rel[1]) * UNIT_MS[rel[2]!]!);
  let at: number;
  if (/^\d+$/.test(t)) {
    at = Number(t);
    if (at !== 0 && at < MIN_EPOCH_MS) throw invalid(text, 'has no unit and is too small for epoch milliseconds');
    if (!Number.isSafeInteger(at)) throw invalid(text, 'is too large for epoch milliseconds');
  } else {
    const iso = ISO.exec(t);
    if (!iso) throw invalid(text, 'is not understood');
    at = parseIso(text, iso);
    if (at < 0) throw invalid(text, 'is before 1970');
  }
  if (at > now) throw invalid(text, 'lies in the future');
  return at;
}
