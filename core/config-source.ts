/**
 * Shared plumbing for validated configuration: YAML text + env + flags merged in that order
 * of precedence, then checked by a zod schema, with errors that name the key and the problem.
 */
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { KeelsonError } from './errors.ts';

/** Parse a YAML config file's text into a plain object (empty file → {}). */
export function parseConfigText(text: string, fileName: string): Record<string, unknown> {
  let doc: unknown;
  try {
    const parsed = parseDocument(text, { prettyErrors: true, logLevel: 'silent' });
    // A warning (an unknown tag or directive) means the file does not say what its author meant.
    const problem = parsed.errors[0] ?? parsed.warnings[0];
    if (problem) throw problem;
    doc = parsed.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new KeelsonError('CONFIG_UNREADABLE', `${fileName}: not valid YAML: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new KeelsonError('CONFIG_INVALID', `${fileName}: the top level must be a mapping of keys`);
  }
  return doc as Record<string, unknown>;
}

/** Set `value` at a dotted path in a nested object, creating objects on the way. */
export function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

/** Deep-merge plain objects; later sources win; arrays are replaced, not merged. */
export function mergeConfig(...sources: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const src of sources) {
    for (const [k, v] of Object.entries(src)) {
      const prev = out[k];
      if (isPlainObject(v) && isPlainObject(prev)) out[k] = mergeConfig(prev, v);
      else if (isPlainObject(v)) out[k] = mergeConfig(v);
      else out[k] = v;
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Map environment variables to dotted keys through an explicit table. */
export function configFromEnv(
  env: Record<string, string | undefined>,
  table: Record<string, { key: string; parse?: (raw: string) => unknown }>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, { key, parse }] of Object.entries(table)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(out, key, parse ? parse(raw) : raw);
  }
  return out;
}

/** Validate a merged config, turning the first zod issue into an error naming the key. */
export function validateConfig<T>(schema: z.ZodType<T>, raw: unknown, origin: string): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const key = issue.path.length ? issue.path.join('.') : '(top level)';
  throw new KeelsonError('CONFIG_INVALID', `${origin}: ${key}: ${issue.message}`);
}

/** Parse an integer from an env var or flag, with an error naming where it came from. */
export function intFrom(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new KeelsonError('CONFIG_INVALID', `${name}: expected an integer, got "${raw}"`);
    return n;
  };
}
