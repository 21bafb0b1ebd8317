/**
 * An in-memory copy of (part of) /sys/class/infiniband: relative path → file contents, plus the
 * directories seen. read.ts fills one from the live sysfs, ttar.ts from a node_exporter text
 * archive; sysfs.ts turns either into port records with the same logic.
 */

/** Paths are relative to the `class/infiniband` directory, `/`-separated, no leading slash. */
export interface FileTree {
  files: Map<string, string>;
  dirs: Set<string>;
}

/** An empty tree. */
export function emptyTree(): FileTree {
  return { files: new Map(), dirs: new Set() };
}

/** Record a file, and every directory above it. */
export function addFile(tree: FileTree, path: string, contents: string): void {
  tree.files.set(path, contents);
  addDir(tree, path.split('/').slice(0, -1).join('/'));
}

/** Record a directory and every directory above it. */
export function addDir(tree: FileTree, path: string): void {
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) tree.dirs.add(parts.slice(0, i).join('/'));
}

/** The names directly below `dir` ('' for the top), files and directories, sorted. */
export function listTree(tree: FileTree, dir: string): string[] {
  const prefix = dir ? `${dir}/` : '';
  const names = new Set<string>();
  const take = (p: string) => {
    if (!p.startsWith(prefix)) return;
    const rest = p.slice(prefix.length);
    const name = rest.split('/')[0];
    if (name) names.add(name);
  };
  for (const p of tree.files.keys()) take(p);
  for (const p of tree.dirs) take(p);
  return [...names].sort();
}

/** A tree re-rooted at `prefix` (entries outside it dropped). */
export function subTree(tree: FileTree, prefix: string): FileTree {
  const out = emptyTree();
  const p = prefix ? `${prefix.replace(/\/+$/, '')}/` : '';
  for (const [k, v] of tree.files) if (k.startsWith(p)) addFile(out, k.slice(p.length), v);
  for (const d of tree.dirs) if (d.startsWith(p)) addDir(out, d.slice(p.length));
  return out;
}

/**
 * A `listTree` for many lookups on one tree: indexes every path once (O(total path depth)), then
 * answers each directory in O(its entries). Same answers as `listTree`; do not add to the tree after.
 */
export function treeLister(tree: FileTree): (dir: string) => string[] {
  const children = new Map<string, Set<string>>();
  const add = (dir: string, name: string) => {
    if (!name) return;
    let set = children.get(dir);
    if (!set) {
      set = new Set();
      children.set(dir, set);
    }
    set.add(name);
  };
  // Exactly listTree's rule: `name` is below `dir` when path = `${dir}/${name}[/...]` (or dir is '').
  const index = (path: string) => {
    let from = 0;
    let dir = '';
    for (;;) {
      const slash = path.indexOf('/', from);
      // listTree('') lists first segments only: a '' dir after a leading '/' is not the top.
      if (from === 0 || dir !== '') add(dir, slash < 0 ? path.slice(from) : path.slice(from, slash));
      if (slash < 0) return;
      dir = path.slice(0, slash);
      from = slash + 1;
    }
  };
  for (const p of tree.files.keys()) index(p);
  for (const p of tree.dirs) index(p);
  const sorted = new Map<string, string[]>();
  return (dir) => {
    let out = sorted.get(dir);
    if (!out) {
      out = [...(children.get(dir) ?? [])].sort();
      sorted.set(dir, out);
    }
    return [...out];
  };
}
