/** Built-in log parsers on our own fixtures in each real format, and the step assembler. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeepSpeedLine } from './deepspeed.ts';
import { parseHfTrainerLine } from './hf-trainer.ts';
import { LogStepAssembler, parsersFor, parseTrainingLine } from './index.ts';
import { parseMegatronLine } from './megatron.ts';
import { parseTorchtitanLine } from './torchtitan.ts';
import { parseTqdmLine } from './tqdm.ts';
import { userRegexParser } from './user-regex.ts';

const FIX = path.resolve(import.meta.dirname, '../../../test/fixtures/training');
const lines = (name: string) => readFileSync(path.join(FIX, name), 'utf8').split('\n');

function assemble(name: string) {
  const asm = new LogStepAssembler('j');
  const out = [];
  for (const l of lines(name)) {
    for (const seg of l.split('\r')) {
      const p = parseTrainingLine(seg);
      const r = p && asm.next(p);
      if (r) out.push(r);
    }
  }
  return out;
}

describe('megatron', () => {
  it('reads an iteration line with a leading timestamp: step, total, ms, loss, samples, nan count', () => {
    const [l] = lines('megatron-timestamped-ckpt-nan.log');
    expect(parseMegatronLine(l ?? '')).toEqual({
      format: 'megatron',
      step: 1,
      total: 50000,
      stepMs: 45012.3,
      loss: 10.92341,
      samples: 512,
      nanIterations: 0,
    });
  });

  it('reads seconds, consumed tokens and a launcher prefix (BLOOM format)', () => {
    const l =
      '[default7]: iteration    31214/  115311 | consumed samples:     47768496 | consumed tokens:  97829879808 | elapsed time per iteration (s): 106.46 | learning rate: 5.279E-05 | global batch size:  2048 | lm loss: 2.198845E+00 | grad norm: 0.242 |';
    expect(parseMegatronLine(l)).toMatchObject({ step: 31214, stepMs: 106460, loss: 2.198845, tokens: 97829879808 });
  });

  it('a NaN loss is NaN, and the checkpoint lines mark the phase', () => {
    const rs = assemble('megatron-timestamped-ckpt-nan.log');
    expect(rs.map((r) => [r.step, r.phase ?? '-'])).toEqual([
      [1, '-'],
      [2, '-'],
      [3, '-'],
      [3, 'checkpoint'],
      [3, 'train'],
      [4, '-'],
    ]);
    expect(rs[5]?.loss).toBeNaN();
    expect(rs[5]?.nanIterations).toBe(1);
  });

  it('ignores lines that only mention iterations', () => {
    expect(parseMegatronLine('[Rank 3] (after 20 iterations) memory (MB) | allocated: 1')).toBeUndefined();
    expect(parseMegatronLine(' validation loss at iteration 100 | lm loss value: 8.09E+00 |')).toBeUndefined();
  });
});

describe('deepspeed', () => {
  it('reads step=, steps: loss: iter time and the throughput timer line', () => {
    const rs = lines('deepspeed-steps-loss-scale-min.log').map((l) => parseDeepSpeedLine(l));
    expect(rs[0]).toEqual({ format: 'deepspeed', step: 10 });
    expect(rs[1]).toEqual({ format: 'deepspeed', step: 10, loss: 6.8123, stepMs: 412 });
    expect(rs[2]).toEqual({ format: 'deepspeed', step: 20 });
    expect(rs[6]).toBeUndefined();
  });
});

describe('hugging face trainer + tqdm', () => {
  it('a loss dict has a loss and tokens but no step; eval dicts end an eval phase', () => {
    expect(
      parseHfTrainerLine(
        "{'loss': 2.5586, 'grad_norm': 6.8, 'learning_rate': 5e-05, 'epoch': 0.01, 'num_input_tokens_seen': 196608}",
      ),
    ).toEqual({
      format: 'hf-trainer',
      loss: 2.5586,
      tokens: 196608,
    });
    expect(parseHfTrainerLine("{'eval_loss': 3.0, 'epoch': 0.3}")).toEqual({ format: 'hf-trainer', phase: 'train' });
    expect(parseHfTrainerLine("{'train_runtime': 60.1, 'train_loss': 2.4}")).toEqual({
      format: 'hf-trainer',
      phase: 'idle',
    });
  });

  it('tqdm: n/total and the rate in s/it or it/s; ? rates are fine', () => {
    expect(parseTqdmLine(' 10%|#         | 10/100 [01:00<06:03,  4.04s/it]')).toEqual({
      format: 'tqdm',
      step: 10,
      total: 100,
      stepMs: 4040,
    });
    expect(parseTqdmLine('Epoch 1:  50%|█████     | 5/10 [00:01<00:01,  4.00it/s]')?.stepMs).toBe(250);
    expect(parseTqdmLine('  0%|          | 0/100 [00:00<?, ?it/s]')).toEqual({ format: 'tqdm', step: 0, total: 100 });
  });

  it('assembles: losses take the bar step, the evaluation bar (other total) is ignored, eval phase marked', () => {
    const rs = assemble('hf-trainer-eval-bar.log');
    expect(rs.map((r) => `${r.step}:${r.loss ?? ''}:${r.phase ?? ''}`)).toEqual([
      '2::',
      '2:3.1:',
      '3::',
      '3::eval',
      '3::train',
      '4::',
      '4:2.9:',
    ]);
  });
});

describe('torchtitan', () => {
  it('strips ANSI colours and reads step and loss (nan included)', () => {
    const rs = assemble('torchtitan-ansi-nan.log');
    expect(rs.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(rs.map((r) => r.rank)).toEqual([0, 0, 0]);
    expect(rs[1]?.loss).toBe(10.5);
    expect(rs[2]?.loss).toBeNaN();
  });

  it('does not read the nccl-tests header "step: 2(factor)"', () => {
    expect(
      parseTorchtitanLine('# nThread 1 nGpus 1 minBytes 8 maxBytes 17179869184 step: 2(factor) warmup iters: 5'),
    ).toBeUndefined();
  });
});

describe('user regex', () => {
  it('named groups step/loss/stepMs', () => {
    const p = userRegexParser('it=(?<step>\\d+) l=(?<loss>\\S+) t=(?<stepMs>[\\d.]+)ms');
    expect(p('it=42 l=1.5e-1 t=812.5ms')).toEqual({ format: 'regex', step: 42, loss: 0.15, stepMs: 812.5 });
    expect(p('nothing here')).toBeUndefined();
    expect(parseTrainingLine('it=7 l=2 t=1ms', parsersFor([], [p]))?.step).toBe(7);
  });

  it('refuses patterns without the groups or that do not compile, naming the key', () => {
    expect(() => userRegexParser('step (\\d+)')).toThrow(/CONFIG_INVALID|named group/);
    expect(() => userRegexParser('(?<step>\\d+', 'training.logs[0].regex')).toThrow(/training.logs\[0\].regex/);
  });
});
