/**
 * Reading the loosely typed JSON that nvme-cli and smartctl print: numbers may arrive as JSON
 * numbers or as decimal strings (128-bit counters), objects may be missing or re-shaped between
 * tool versions. Pure helpers for the parsers of this area.
 */
import { KeelsonError } from '../../core/errors.ts';

/** A JSON object with unknown values. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse tool output as a JSON object (skipping any text before the first `{`), or throw PARSE_FAILED. */
export function parseJsonObject(text: string, what: string): JsonObject {
  const start = text.indexOf('{');
  if (start < 0) throw new KeelsonError('PARSE_FAILED', `${what}: no JSON object in the output`);
  let value: unknown;
  try {
    value = JSON.parse(text.slice(start));
  } catch (err) {
    throw new KeelsonError('PARSE_FAILED', `${what}: output is not valid JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (!isObject(value)) throw new KeelsonError('PARSE_FAILED', `${what}: expected a JSON object`);
  return value;
}

/** A finite number from a JSON number or a decimal string such as "123", "1,234" or "30%"; else undefined. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') {
    const s = v.trim().replace(/,/g, '').replace(/\s*%$/, '');
    if (/^-?\d+(\.\d+)?$/.test(s)) {
      const n = Number(s);
      return Number.isFinite(n) ? n : undefined;
    }
  }
  return undefined;
}

/** A trimmed non-empty string from a JSON string or number; else undefined. */
export function toText(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** The first key of `keys` present in `obj` with a numeric value. */
export function firstNumber(obj: JsonObject, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const n = toNumber(obj[k]);
    if (n !== undefined) return n;
  }
  return undefined;
}
