/** Tests of the in-memory sysfs tree: treeLister answers exactly as listTree, for any paths. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDir, addFile, emptyTree, type FileTree, listTree, treeLister } from './tree.ts';

describe('treeLister', () => {
  it('lists a port tree like listTree', () => {
    const t = emptyTree();
    addFile(t, 'mlx5_0/ports/1/state', '4: ACTIVE\n');
    addFile(t, 'mlx5_0/ports/1/counters/port_rcv_errors', '0\n');
    addFile(t, 'mlx5_0/ports/2/rate', '400 Gb/sec (4X NDR)\n');
    addDir(t, 'mlx5_1/ports');
    const ls = treeLister(t);
    expect(ls('')).toEqual(['mlx5_0', 'mlx5_1']);
    expect(ls('mlx5_0/ports')).toEqual(['1', '2']);
    expect(ls('mlx5_0/ports/1')).toEqual(['counters', 'state']);
    expect(ls('mlx5_1/ports')).toEqual([]);
    expect(ls('nowhere')).toEqual([]);
  });

  it('returns a fresh array each call (callers may mutate it)', () => {
    const t = emptyTree();
    addFile(t, 'a/b', 'x');
    const ls = treeLister(t);
    ls('a').push('zzz');
    expect(ls('a')).toEqual(['b']);
  });

  it('agrees with listTree for arbitrary paths, odd slashes included', () => {
    const seg = fc.constantFrom('', 'a', 'b', 'ports', '1', '2', 'x.y');
    const path = fc.array(seg, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));
    fc.assert(
      fc.property(
        fc.array(path, { maxLength: 12 }),
        fc.array(path, { maxLength: 6 }),
        fc.array(path),
        (files, dirs, queries) => {
          const t: FileTree = { files: new Map(files.map((f) => [f, ''])), dirs: new Set(dirs) };
          const ls = treeLister(t);
          for (const q of ['', ...files, ...dirs, ...queries]) expect(ls(q)).toEqual(listTree(t, q));
        },
      ),
    );
  });
});
