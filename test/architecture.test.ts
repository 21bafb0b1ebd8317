/**
 * Keeps the dependency direction of ARCHITECTURE.md true: core ← protocol ← probes ← agent;
 * core ← protocol ← collector; checkpoint-lib (the shm format) is a leaf both daemons share.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(join(ROOT, dir))) return out;
  for (const name of readdirSync(join(ROOT, dir))) {
    const p = join(dir, name);
    if (statSync(join(ROOT, p)).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Top-level folders a file imports from (relative imports only). */
function importedFolders(file: string): string[] {
  const src = readFileSync(join(ROOT, file), 'utf8');
  const folders = new Set<string>();
  for (const m of src.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) {
    const target = relative(ROOT, resolve(join(ROOT, file, '..'), m[1]!));
    folders.add(target.split('/')[0]!);
  }
  return [...folders];
}

const ALLOWED: Record<string, string[]> = {
  core: ['core'],
  protocol: ['core', 'protocol', 'checkpoint-lib'],
  probes: ['core', 'probes'],
  'checkpoint-lib': ['core', 'checkpoint-lib'],
  agent: ['core', 'protocol', 'probes', 'checkpoint-lib', 'agent'],
  collector: ['core', 'protocol', 'checkpoint-lib', 'collector'],
  sim: ['core', 'protocol', 'probes', 'agent', 'collector', 'checkpoint-lib', 'sim'],
};

describe('dependency direction', () => {
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(`${folder}/ imports only ${allowed.join(', ')}`, () => {
      const bad = sources(folder).flatMap((f) =>
        importedFolders(f)
          .filter((t) => !allowed.includes(t))
          .map((t) => `${f} → ${t}`),
      );
      expect(bad).toEqual([]);
    });
  }
});
