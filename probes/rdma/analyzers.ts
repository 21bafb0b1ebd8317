/**
 * `keelson analyze` for InfiniBand captures: ibstat, ibstatus, a copied /sys/class/infiniband
 * (or one port directory), a node_exporter ttar of it, a single sysfs value file, perfquery,
 * ibnetdiscover -p and ibv_devinfo. Each runs the live rules in single-snapshot mode with no
 * expectation (the GPU SKU is not known offline): the compute fabric is inferred from the
 * fastest up ports, counters are judged by absolute value (warn at most).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { capEvidence, type Observation } from '../../core/finding.ts';
import type { Analyzer, DirAnalyzer, TextAnalyzer } from '../analyzer.ts';
import { emptyPort, type IbPortRecord, parseIbstat, parseIbstatus } from './parse.ts';
import { parseIbnetdiscoverPorts, parseIbvDevinfo, parsePerfquery } from './parse-diag.ts';
import { readInfinibandDir, readPortInto } from './read.ts';
import { judgeRdma, judgeSysfsValue } from './rules.ts';
import { DEFAULT_RDMA_SETTINGS } from './settings.ts';
import { infinibandTree, portFromTree, recordsFromTree } from './sysfs.ts';
import { emptyTree } from './tree.ts';
import { looksLikeTtar, parseTtar } from './ttar.ts';

const SNAPSHOT = { ...DEFAULT_RDMA_SETTINGS, singleSnapshot: true };

/** Judge port records from one capture (no previous run, no expectation). */
function judgeSnapshot(records: IbPortRecord[], now: number): Observation[] {
  return judgeRdma(records, undefined, now, SNAPSHOT).observations;
}

const ibstat: TextAnalyzer = {
  kind: 'ibstat',
  description: 'ibstat output (infiniband-diags): CA and port state, rate, link layer; ibpanic endings',
  input: 'text',
  sniff: (head) => /^CA '[^']*'\s*$/m.test(head) && /^\s+(CA type|Number of ports|Port \d+):/m.test(head),
  analyze(text, now) {
    const r = parseIbstat(text);
    const out = judgeSnapshot(r.ports, now);
    if (r.panic) {
      out.push({
        code: 'ib.ibstat.panic',
        component: r.panic.device ? `ib:${r.panic.device}` : 'host',
        severity: 'warn',
        action: 'none',
        kind: 'event',
        message: `ibstat stopped with ibpanic${r.panic.device ? ` on ${r.panic.device}` : ''}; ports after it were not reported`,
        evidence: capEvidence(r.panic.line),
      });
    }
    return out;
  },
};

const ibstatus: TextAnalyzer = {
  kind: 'ibstatus',
  description: 'ibstatus output: per-port state, phys state, rate, link layer',
  input: 'text',
  sniff: (head) => /^Infiniband device '[^']*' port \d+ status:/im.test(head),
  analyze: (text, now) => judgeSnapshot(parseIbstatus(text), now),
};

const ttar: TextAnalyzer = {
  kind: 'sysfs-infiniband-ttar',
  description: 'node_exporter ttar archive holding a /sys/class/infiniband tree',
  input: 'text',
  sniff: (head) => looksLikeTtar(head) && /class\/infiniband/.test(head),
  analyze: (text, now) => judgeSnapshot(recordsFromTree(infinibandTree(parseTtar(text))), now),
};

const sysfsValue: TextAnalyzer = {
  kind: 'ib-sysfs-value',
  description: 'one sysfs port file: state (4: ACTIVE), phys_state (5: LinkUp, 0: <unknown>) or rate',
  input: 'text',
  sniff: (head) => {
    const t = head.trim();
    return !t.includes('\n') && (/^\d+: \S.{0,40}$/.test(t) || /^\d+(\.\d+)? Gb\/sec( \(\d+X[ A-Z0-9]*\))?$/.test(t));
  },
  analyze: (text) => judgeSysfsValue(text),
};

const perfquery: TextAnalyzer = {
  kind: 'perfquery',
  description: 'perfquery -x / -E output: port counters per LID and port (judged by absolute value)',
  input: 'text',
  sniff: (head) => /^#\s*[\w ]*counters:\s*Lid \d+ port \d+/im.test(head),
  analyze(text, now) {
    const records = parsePerfquery(text).map((b) => {
      const p = emptyPort(`lid${b.lid}`, b.port);
      p.counters = { ...b.counters };
      return p;
    });
    return judgeSnapshot(records, now);
  },
};

const ibnetdiscover: TextAnalyzer = {
  kind: 'ibnetdiscover',
  description: 'ibnetdiscover -p port list (fabric-wide view: parsed, no node findings)',
  input: 'text',
  sniff: (head) => /^(CA|SW)\s+\d+\s+\d+\s+0x[0-9a-fA-F]+\s+\d+x\s+\S+/m.test(head),
  analyze(text) {
    // The fabric's ports as a switch sees them: a `???` speed is an unlinked switch port, not a
    // fault of this node. Parsing validates the capture; there is nothing node-level to report.
    parseIbnetdiscoverPorts(text);
    return [];
  },
};

const ibvDevinfo: TextAnalyzer = {
  kind: 'ibv_devinfo',
  description: 'ibv_devinfo [-v] output: port state, phys state, width x speed, link layer',
  input: 'text',
  sniff: (head) => /^hca_id:\s*\S+/m.test(head),
  analyze: (text, now) => judgeSnapshot(parseIbvDevinfo(text), now),
};

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** Where the class/infiniband-shaped directory is: the dir itself, or `<dir>/[sys/]class/infiniband`. */
async function locate(dir: string): Promise<{ kind: 'class' | 'port'; path: string } | undefined> {
  for (const sub of ['', 'class/infiniband', 'sys/class/infiniband']) {
    const d = sub ? join(dir, sub) : dir;
    let names: string[] = [];
    try {
      names = await readdir(d);
    } catch {
      continue;
    }
    for (const n of names) if (await isDir(join(d, n, 'ports'))) return { kind: 'class', path: d };
  }
  if ((await isFile(join(dir, 'state'))) && (await isFile(join(dir, 'phys_state')))) return { kind: 'port', path: dir };
  return undefined;
}

const sysfsDir: DirAnalyzer = {
  kind: 'sysfs-infiniband',
  description: 'a directory copied from /sys/class/infiniband (device dirs at the top) or one port directory',
  input: 'dir',
  sniffDir: async (dir) => (await locate(dir)) !== undefined,
  async analyzeDir(dir, now) {
    const where = await locate(dir);
    if (!where) return [];
    if (where.kind === 'class') {
      const tree = await readInfinibandDir(where.path);
      return judgeSnapshot(recordsFromTree(tree), now);
    }
    const tree = emptyTree();
    await readPortInto(tree, where.path, '');
    const port = /^\d+$/.test(basename(where.path)) ? Number(basename(where.path)) : 1;
    const parent = dirname(where.path);
    const device = basename(parent) === 'ports' ? basename(dirname(parent)) : 'unknown';
    return judgeSnapshot([portFromTree(tree, '', device, port)], now);
  },
};

/** Every analyzer of the rdma area, most specific first. */
export const rdmaAnalyzers: Analyzer[] = [
  ttar,
  ibstat,
  ibstatus,
  perfquery,
  ibnetdiscover,
  ibvDevinfo,
  sysfsValue,
  sysfsDir,
];
