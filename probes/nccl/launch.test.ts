import { describe, expect, it } from 'vitest';
import { buildAllReduceLaunch, buildIbWriteBwPair, DEFAULT_IB_WRITE_BW, DEFAULT_NCCL_LAUNCH } from './launch.ts';

describe('launch builders', () => {
  it('builds an mpirun launch with -H, -np, -x env and a launcher time limit', () => {
    const cfg = {
      ...DEFAULT_NCCL_LAUNCH,
      binary: '/opt/nccl-tests/all_reduce_perf',
      env: { NCCL_IB_HCA: 'mlx5_0,mlx5_1' },
    };
    const l = buildAllReduceLaunch(['gpu01', 'gpu02'], cfg, { timeoutMs: 90_500 });
    expect(l.command).toBe('mpirun');
    expect(l.args).toEqual([
      '-np',
      '16',
      '-H',
      'gpu01:8,gpu02:8',
      '--map-by',
      'ppr:8:node',
      '--bind-to',
      'numa',
      '--tag-output',
      '--timeout',
      '91',
      '-x',
      'NCCL_IB_HCA=mlx5_0,mlx5_1',
      '/opt/nccl-tests/all_reduce_perf',
      '-b',
      '1G',
      '-e',
      '16G',
      '-f',
      '2',
      '-g',
      '1',
      '-c',
      '1',
      '-n',
      '20',
      '-w',
      '5',
    ]);
    expect(l.files).toEqual([]);
  });

  it('writes a hostfile instead of -H when configured', () => {
    const l = buildAllReduceLaunch(['a', 'b', 'c'], { ...DEFAULT_NCCL_LAUNCH, hostfile: '/tmp/hf', gpusPerNode: 4 });
    expect(l.args.slice(0, 4)).toEqual(['-np', '12', '--hostfile', '/tmp/hf']);
    expect(l.files).toEqual([{ path: '/tmp/hf', content: 'a slots=4\nb slots=4\nc slots=4\n' }]);
  });

  it('builds an srun launch with --nodelist, --label and --export', () => {
    const l = buildAllReduceLaunch(
      ['gpu01', 'gpu02'],
      { ...DEFAULT_NCCL_LAUNCH, launcher: 'srun', launcherArgs: ['--mpi=pmix'] },
      { timeoutMs: 61_000 },
    );
    expect(l.command).toBe('srun');
    expect(l.args.slice(0, 9)).toEqual([
      '--nodes=2',
      '--ntasks=16',
      '--ntasks-per-node=8',
      '--nodelist=gpu01,gpu02',
      '--gpus-per-node=8',
      '--label',
      '--time=2',
      '--export=ALL,NCCL_DEBUG=WARN',
      '--mpi=pmix',
    ]);
    expect(l.args[9]).toBe('all_reduce_perf');
  });

  it('forces a lone node through its NICs', () => {
    const l = buildAllReduceLaunch(['gpu01'], DEFAULT_NCCL_LAUNCH);
    expect(l.args).toContain('NCCL_P2P_DISABLE=1');
    expect(l.args).toContain('NCCL_SHM_DISABLE=1');
    expect(buildAllReduceLaunch(['gpu01'], DEFAULT_NCCL_LAUNCH, { forceNetwork: false }).args).not.toContain(
      'NCCL_P2P_DISABLE=1',
    );
    expect(() => buildAllReduceLaunch([], DEFAULT_NCCL_LAUNCH)).toThrow(RangeError);
  });

  it('builds an ib_write_bw server/client pair', () => {
    const p = buildIbWriteBwPair('gpu01', 'gpu02', { ...DEFAULT_IB_WRITE_BW, gidIndex: 3 }, '10.0.0.1');
    expect(p.server).toEqual({
      node: 'gpu01',
      command: 'ib_write_bw',
      args: ['-d', 'mlx5_0', '-p', '18515', '-D', '5', '-s', '65536', '-q', '4', '-F', '--report_gbits', '-x', '3'],
    });
    expect(p.client.node).toBe('gpu02');
    expect(p.client.args.at(-1)).toBe('10.0.0.1');
  });
});
