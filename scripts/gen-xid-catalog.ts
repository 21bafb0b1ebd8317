/**
 * Generates probes/kernel-log/xid-catalog.generated.ts from NVIDIA's XID table kept in
 * scripts/data/nvidia-xid-table.tsv, mapping NVIDIA's immediate-action bucket to a Keelson
 * severity and action. Run: `node --import tsx scripts/gen-xid-catalog.ts` (add `--check` to
 * fail instead of writing when the generated file is stale).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where the table and the generated file live, relative to the repository root. */
export const XID_TABLE_PATH = 'scripts/data/nvidia-xid-table.tsv';
export const XID_CATALOG_PATH = 'probes/kernel-log/xid-catalog.generated.ts';

type Severity = 'info' | 'warn' | 'degraded' | 'fatal';
type Action = 'none' | 'restart-job' | 'reset-gpu' | 'reboot' | 'drain' | 'inspect-hardware';

/** One row of the TSV. */
export interface XidRow {
  xid: number;
  mnemonic: string;
  description: string;
  immediate: string;
  investigatory: string;
  categories: string[];
}

/**
 * NVIDIA's immediate-action bucket → what Keelson reports. Every bucket in the table must be
 * listed here, so a new bucket in a newer NVIDIA table fails generation instead of guessing.
 */
export const BUCKET_MAP: Readonly<Record<string, { severity: Severity; action: Action; why: string }>> = {
  IGNORE: { severity: 'info', action: 'none', why: 'NVIDIA: no action needed' },
  RESTART_APP: { severity: 'warn', action: 'restart-job', why: 'NVIDIA: restart the application' },
  RESET_GPU: { severity: 'degraded', action: 'reset-gpu', why: 'NVIDIA: reset the GPU' },
  RESTART_BM: { severity: 'fatal', action: 'reboot', why: 'NVIDIA: restart the bare-metal node' },
  RESTART_VM: { severity: 'fatal', action: 'reboot', why: 'NVIDIA: restart the VM' },
  CONTACT_SUPPORT: { severity: 'degraded', action: 'inspect-hardware', why: 'NVIDIA: contact support' },
  CHECK_MECHANICALS: { severity: 'degraded', action: 'inspect-hardware', why: 'NVIDIA: check power/mechanicals' },
  WORKFLOW_XID_48: { severity: 'degraded', action: 'reset-gpu', why: 'NVIDIA workflow: DBE, reset to remap rows' },
  WORKFLOW_XID_45: { severity: 'warn', action: 'none', why: 'NVIDIA workflow: follows other Xids' },
  WORKFLOW_NVLINK_ERR: { severity: 'degraded', action: 'reset-gpu', why: 'NVIDIA workflow: NVLink error decode' },
  WORKFLOW_NVLINK5_ERR: {
    severity: 'degraded',
    action: 'reset-gpu',
    why: 'NVIDIA workflow: NVLink5 decode (not decoded; conservative)',
  },
  XID_154: { severity: 'degraded', action: 'reset-gpu', why: 'NVIDIA: recovery action named in the message' },
  UPDATE_SWFW: { severity: 'warn', action: 'none', why: 'NVIDIA: update software/firmware' },
  CHECK_UVM: { severity: 'warn', action: 'restart-job', why: 'NVIDIA: check UVM usage' },
  '': { severity: 'warn', action: 'inspect-hardware', why: 'no NVIDIA action published; Keelson fallback' },
};

/** Used for codes NVIDIA lists as "Unused" (they should never appear; if one does, look). */
const UNUSED = { severity: 'warn', action: 'inspect-hardware', why: 'listed as unused by NVIDIA' } as const;

/** Parse the TSV text into rows; throws on a malformed row so mistakes are caught early. */
export function parseXidTable(tsv: string): XidRow[] {
  const rows: XidRow[] = [];
  const seen = new Set<number>();
  let header = true;
  for (const [i, raw] of tsv.split('\n').entries()) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (header) {
      header = false;
      if (!line.startsWith('xid\t')) throw new Error(`line ${i + 1}: expected the header row`);
      continue;
    }
    const cols = line.split('\t');
    if (cols.length !== 6) throw new Error(`line ${i + 1}: expected 6 tab-separated columns, got ${cols.length}`);
    const [xidText, mnemonic, description, immediate, investigatory, categories] = cols as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const xid = Number(xidText);
    if (!Number.isInteger(xid) || xid <= 0) throw new Error(`line ${i + 1}: bad xid ${xidText}`);
    if (seen.has(xid)) throw new Error(`line ${i + 1}: duplicate xid ${xid}`);
    seen.add(xid);
    if (!(immediate in BUCKET_MAP)) throw new Error(`line ${i + 1}: unknown immediate action ${immediate}`);
    rows.push({
      xid,
      mnemonic,
      description,
      immediate,
      investigatory,
      categories: categories === '' ? [] : categories.split(';'),
    });
  }
  return rows.sort((a, b) => a.xid - b.xid);
}

/** The severity/action Keelson assigns to one row. */
export function judgeRow(row: XidRow): { severity: Severity; action: Action; why: string } {
  if (row.description === 'Unused' && row.immediate === 'CONTACT_SUPPORT') return UNUSED;
  const judged = BUCKET_MAP[row.immediate];
  if (!judged) throw new Error(`xid ${row.xid}: unknown immediate action ${row.immediate}`);
  return judged;
}

/** The TypeScript source of the generated catalog for this TSV text. Pure. */
export function renderXidCatalog(tsv: string): string {
  const rows = parseXidTable(tsv);
  const q = (s: string) => JSON.stringify(s);
  const lines = rows.map((r) => {
    const j = judgeRow(r);
    return (
      `  { xid: ${r.xid}, mnemonic: ${q(r.mnemonic)}, meaning: ${q(r.description)}, ` +
      `nvidiaImmediate: ${q(r.immediate)}, nvidiaInvestigatory: ${q(r.investigatory)}, ` +
      `categories: ${JSON.stringify(r.categories)}, severity: ${q(j.severity)}, action: ${q(j.action)}, why: ${q(j.why)} },`
    );
  });
  return [
    '// GENERATED FILE, do not edit by hand.',
    `// Generated by scripts/gen-xid-catalog.ts from ${XID_TABLE_PATH} (NVIDIA's XID catalog).`,
    '// Edit the TSV and run: node --import tsx scripts/gen-xid-catalog.ts',
    "import type { Action, Severity } from '../../core/finding.ts';",
    '',
    "/** One NVIDIA XID code with NVIDIA's published actions and the severity/action Keelson reports. */",
    'export interface XidCatalogEntry {',
    '  xid: number;',
    '  mnemonic: string;',
    '  meaning: string;',
    '  nvidiaImmediate: string;',
    '  nvidiaInvestigatory: string;',
    '  categories: readonly string[];',
    '  severity: Severity;',
    '  action: Action;',
    '  why: string;',
    '}',
    '',
    "/** Every XID in NVIDIA's catalog, ordered by code. */",
    'export const xidCatalogEntries: readonly XidCatalogEntry[] = [',
    ...lines,
    '];',
    '',
  ].join('\n');
}

function main(): void {
  const root = path.resolve(import.meta.dirname, '..');
  const tsv = readFileSync(path.join(root, XID_TABLE_PATH), 'utf8');
  const out = renderXidCatalog(tsv);
  const target = path.join(root, XID_CATALOG_PATH);
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== out) {
      console.error(`${XID_CATALOG_PATH} is stale; run: node --import tsx scripts/gen-xid-catalog.ts`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(target, out);
  console.log(`wrote ${XID_CATALOG_PATH} (${parseXidTable(tsv).length} codes)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
