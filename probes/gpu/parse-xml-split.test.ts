/** Tests of the per-GPU fast path of parseSmiXml: same answers as the whole-document parse, in bounded steps. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeelsonError } from '../../core/errors.ts';
import { parseSmiXml, parseSmiXmlSteps, parseSmiXmlWhole, splitGpus } from './parse-xml.ts';
import { parseSmiXmlYielding } from './read.ts';

const fx = (n: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/gpu', n), 'utf8');
const XMLS = [
  'h100-8gpu-healthy.xml',
  'h100-1gpu-idle-gen1.xml',
  'v100-retired-pages-pending.xml',
  'a100-2gpu-dbe-rowremap-pending.xml',
  'h100-8gpu-rowremap-failure.xml',
  'h100-8gpu-thermal-pcie.xml',
];

/** A result or the PARSE_FAILED message; anything else thrown fails the test. */
function outcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch (e) {
    if (isKeelsonError(e, 'PARSE_FAILED')) return { failed: e.message };
    throw e;
  }
}
const whole = (xml: string) => () => parseSmiXmlWhole(xml);

/** Two GPUs of a real-layout log with the bulky subtrees the fast path skips. */
function withClocks(junkInClocks = ''): string {
  const clocks = Array.from(
    { length: 50 },
    (_, i) => `<supported_graphics_clock>${2000 - i * 15} MHz</supported_graphics_clock>`,
  );
  const gpu = (bus: string, temp: number) => `	<gpu id="${bus}">
		<product_name>NVIDIA H100 80GB HBM3</product_name>
		<pci><pci_bus_id>${bus}</pci_bus_id><replay_counter>3</replay_counter></pci>
		<temperature><gpu_temp>${temp} C</gpu_temp></temperature>
		<supported_clocks><supported_mem_clock><value>2619 MHz</value>${clocks.join('')}${junkInClocks}</supported_mem_clock></supported_clocks>
		<processes><process_info><pid>4242</pid><process_name>python</process_name></process_info></processes>
	</gpu>
`;
  return `<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">
<nvidia_smi_log>
	<driver_version>550.54.15</driver_version>
	<attached_gpus>2</attached_gpus>
${gpu('00000000:18:00.0', 40)}${gpu('00000000:2A:00.0', 41)}</nvidia_smi_log>
`;
}

describe('splitGpus', () => {
  it('cuts out each top-level <gpu> element and leaves placeholders', () => {
    const s = splitGpus('<r><a>1</a><gpu id="x"><b>2</b></gpu><gpu><b>3</b></gpu ></r>');
    expect(s).toEqual({
      skeleton: '<r><a>1</a><gpu/><gpu/></r>',
      chunks: ['<gpu id="x"><b>2</b></gpu>', '<gpu><b>3</b></gpu >'],
    });
    expect(splitGpus('<r><gpu_name>x</gpu_name></r>')).toEqual({
      skeleton: '<r><gpu_name>x</gpu_name></r>',
      chunks: [],
    });
  });

  it('declines documents that do not split cleanly', () => {
    for (const bad of [
      '<r><gpu><gpu></gpu></gpu></r>',
      '<r><gpu/></r>',
      '<r><gpu>',
      '<r></gpu></r>',
      '<r><!-- <gpu> --><gpu></gpu></r>',
      '<r><![CDATA[</gpu>]]></r>',
      '<r><?pi x?><gpu></gpu></r>',
    ]) {
      expect(splitGpus(bad), bad).toBeUndefined();
    }
  });
});

describe('parseSmiXml per-GPU path', () => {
  it('gives exactly the whole-document result on every fixture, in one step per GPU', () => {
    for (const n of XMLS) {
      const xml = fx(n);
      expect(parseSmiXml(xml), n).toEqual(whole(xml)());
      const steps = parseSmiXmlSteps(xml);
      let yields = 0;
      while (!steps.next().done) yields++;
      expect(yields, n).toBe(parseSmiXml(xml).gpus.length);
    }
  });

  it('skips supported_clocks and processes without changing the record, but still rejects garbage in them', () => {
    const xml = withClocks();
    const snap = parseSmiXml(xml);
    expect(snap).toEqual(whole(xml)());
    expect(snap.gpus.map((g) => [g.busId, g.temperature.gpu, g.pcie.replays])).toEqual([
      ['00000000:18:00.0', 40, 3],
      ['00000000:2A:00.0', 41, 3],
    ]);
    const bad = withClocks('<value>1 MHz</valu>');
    expect(() => parseSmiXml(bad)).toThrow(/malformed/);
    expect(outcome(() => parseSmiXml(bad))).toEqual(outcome(whole(bad)));
  });

  it('falls back to the whole document when a <gpu> is not a child of the root, with the same answer', () => {
    const xml = '<nvidia_smi_log><x><gpu><uuid>GPU-1</uuid></gpu></x><gpu><uuid>GPU-2</uuid></gpu></nvidia_smi_log>';
    const snap = parseSmiXml(xml);
    expect(snap.gpus.map((g) => g.uuid)).toEqual(['GPU-2']);
    expect(snap).toEqual(whole(xml)());
  });

  it('yields to the event loop between GPUs when parsed through parseSmiXmlYielding', async () => {
    let turns = 0;
    let on = true;
    const spin = () => {
      turns++;
      if (on) setImmediate(spin);
    };
    setImmediate(spin);
    const snap = await parseSmiXmlYielding(fx('h100-8gpu-healthy.xml'));
    on = false;
    expect(snap).toEqual(parseSmiXml(fx('h100-8gpu-healthy.xml')));
    expect(turns).toBeGreaterThanOrEqual(8);
  });

  it('agrees with the whole-document parse on mutated documents (same record or same PARSE_FAILED)', () => {
    const bases = [fx('h100-8gpu-healthy.xml'), fx('v100-retired-pages-pending.xml'), withClocks()];
    const mutated = fc
      .record({
        base: fc.constantFrom(...bases),
        drop: fc.array(fc.nat({ max: 400 }), { maxLength: 6 }),
        at: fc.nat({ max: 400 }),
        junk: fc.constantFrom(
          '',
          '<gpu>',
          '</gpu>',
          '<gpu/>',
          '<!-- x -->',
          '<a>',
          '</a>',
          '&amp;',
          '"',
          '<gpu id="<gpu>">',
        ),
        cut: fc.option(fc.nat({ max: 70_000 }), { nil: undefined }),
      })
      .map(({ base, drop, at, junk, cut }) => {
        const lines = base.split('\n');
        const gone = new Set(drop.map((d) => d % lines.length));
        const out = lines
          .filter((_, i) => !gone.has(i))
          .map((l, i) =>
            i === at % lines.length ? l.slice(0, Math.floor(l.length / 2)) + junk + l.slice(l.length / 2) : l,
          )
          .join('\n');
        return cut === undefined ? out : out.slice(0, cut);
      });
    fc.assert(
      fc.property(mutated, (xml) => {
        expect(outcome(() => parseSmiXml(xml))).toEqual(outcome(whole(xml)));
      }),
      { numRuns: 150 },
    );
  });
});
