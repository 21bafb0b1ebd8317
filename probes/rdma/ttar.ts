/**
 * Parser for node_exporter's `.ttar` text archive (the format its sysfs fixtures use):
 * blocks separated by `# ttar - - -` lines, each `Directory: p` / `Path: p` + `Lines: N` + N
 * content lines (a last line ending in `NOBREAK` has no newline) / `SymlinkTo: t`, then `Mode:`.
 * Pure; throws only KeelsonError('PARSE_FAILED').
 */
import { KeelsonError } from '../../core/errors.ts';
import { addDir, addFile, emptyTree, type FileTree } from './tree.ts';

/** Whether text looks like a ttar archive. */
export function looksLikeTtar(head: string): boolean {
  return /^(Directory|Path): \S/m.test(head) && /^# ttar - - -/m.test(head);
}

/** Parse a ttar archive into a tree of its full paths (symlinks are kept as files holding `-> target`). */
export function parseTtar(text: string): FileTree {
  const tree = emptyTree();
  const lines = text.split('\n');
  let i = 0;
  let entries = 0;
  while (i < lines.length) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    i++;
    const dir = /^Directory: (.+)$/.exec(line);
    if (dir) {
      addDir(tree, clean(dir[1] ?? ''));
      entries++;
      continue;
    }
    const path = /^Path: (.+)$/.exec(line);
    if (!path) continue;
    const p = clean(path[1] ?? '');
    const next = (lines[i] ?? '').replace(/\r$/, '');
    const link = /^SymlinkTo: (.*)$/.exec(next);
    if (link) {
      i++;
      addFile(tree, p, `-> ${link[1] ?? ''}`);
      entries++;
      continue;
    }
    const count = /^Lines: (\d+)$/.exec(next);
    if (!count) throw new KeelsonError('PARSE_FAILED', `ttar: "Path: ${p}" is not followed by "Lines: N"`);
    i++;
    const n = Number(count[1]);
    if (i + n > lines.length) throw new KeelsonError('PARSE_FAILED', `ttar: ${p} promises ${n} lines past the end`);
    const body = lines.slice(i, i + n).map((l) => l.replace(/\r$/, ''));
    i += n;
    let contents = body.join('\n');
    if (contents.endsWith('NOBREAK')) contents = contents.slice(0, -'NOBREAK'.length);
    else if (n > 0) contents += '\n';
    addFile(tree, p, contents);
    entries++;
  }
  if (entries === 0) throw new KeelsonError('PARSE_FAILED', 'ttar: no Directory or Path entries');
  return tree;
}

function clean(p: string): string {
  return p
    .trim()
    .replace(/^\.?\/+/, '')
    .replace(/\/+$/, '');
}
