/**
 * The invariants checked after every SIGKILL (the e2e test and bench/ckpt-soak.ts share them):
 * no file under a final name is torn, a node manifest only lists verified files, LATEST names a
 * committed step whose every rank verifies. Returns a list of violations (empty = fine).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import {
  globalManifestSchema,
  latestPointerSchema,
  nodeManifestSchema,
  parseJsonAs,
  parseStepDirName,
} from '../../../checkpoint-lib/format.ts';

/** The fill byte the test writer uses for (step, rank). */
export const fillOf = (step: number, rank: number) => (step * 16 + rank + 1) & 0xff;

export function checkTier(root: string, job: string, shardBytes: number): string[] {
  const bad: string[] = [];
  const jobDir = join(root, job);
  let steps: string[] = [];
  try {
    steps = readdirSync(jobDir);
  } catch {
    return bad;
  }
  for (const sd of steps) {
    const step = parseStepDirName(sd);
    if (step === undefined) continue;
    const dir = join(jobDir, sd);
    for (const f of readdirSync(dir)) {
      const m = /^rank-(\d+)\.data$/.exec(f);
      if (!m) continue;
      const buf = readFileSync(join(dir, f));
      const want = Buffer.alloc(shardBytes, fillOf(step, Number(m[1])));
      if (buf.length < shardBytes || Buffer.compare(buf.subarray(0, shardBytes), want) !== 0)
        bad.push(`${root}: torn or foreign ${sd}/${f} (${buf.length} bytes)`);
    }
    for (const f of readdirSync(dir).filter((n) => n.startsWith('node-') || n === 'MANIFEST.json')) {
      const text = readFileSync(join(dir, f), 'utf8');
      const doc = parseJsonAs(nodeManifestSchema, text) ?? parseJsonAs(globalManifestSchema, text);
      if (!doc) {
        bad.push(`${root}: unreadable ${sd}/${f}`);
        continue;
      }
      if (f === 'MANIFEST.json') continue; // MANIFEST mirrors may name files on other tiers
      for (const r of doc.ranks) {
        try {
          const buf = readFileSync(join(dir, r.file));
          for (const s of r.shards)
            if (crc32(buf.subarray(s.offset, s.offset + s.size)) !== s.crc32) bad.push(`${root}: ${sd}/${r.file} crc`);
        } catch {
          bad.push(`${root}: ${sd}/${f} lists missing ${r.file}`);
        }
      }
    }
  }
  return bad;
}

/** LATEST must name a MANIFEST whose every rank is verified on some tier of `roots`. */
export function checkLatest(commitRoot: string, roots: string[], job: string): string[] {
  let latest: { step: number } | undefined;
  try {
    latest = parseJsonAs(latestPointerSchema, readFileSync(join(commitRoot, job, 'LATEST'), 'utf8'));
    if (!latest) return ['LATEST unreadable'];
  } catch {
    return [];
  }
  const sd = `step-${String(latest.step).padStart(12, '0')}`;
  let m: ReturnType<typeof globalManifestSchema.parse> | undefined;
  try {
    m = parseJsonAs(globalManifestSchema, readFileSync(join(commitRoot, job, sd, 'MANIFEST.json'), 'utf8'));
  } catch {}
  if (!m) return [`LATEST names step ${latest.step} without a MANIFEST`];
  if (m.ranks.length !== m.world) return [`MANIFEST of ${latest.step} is missing ranks`];
  const bad: string[] = [];
  for (const r of m.ranks) {
    const ok = roots.some((root) => {
      try {
        const p = join(root, job, sd, r.file);
        return (
          statSync(p).size === r.bytes &&
          r.shards.every((s) => crc32(readFileSync(p).subarray(s.offset, s.offset + s.size)) === s.crc32)
        );
      } catch {
        return false;
      }
    });
    if (!ok && !m.tiers.includes('memory'))
      bad.push(`committed step ${latest.step} rank ${r.rank} has no verified copy`);
  }
  return bad;
}
