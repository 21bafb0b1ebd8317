// Shared by the fake network test binaries: reads the fault map named by KEELSON_FAKE_FAULTS
// and works out the bandwidth factor of a set of nodes.
//
// Fault map (JSON):
// {
//   "gpu": "NVIDIA H100 80GB HBM3", "gpusPerNode": 8, "delayMs": 0,
//   "nodes": { "node3": { "busbwFactor": 0.35 },            // slow in every test that includes it
//              "node5": { "busbwFactor": 0.4, "soloOk": true }, // slow only across the network
//              "node7": { "error": "connect" | "wrong" | "hang" } },
//   "links": [ { "a": "node1", "b": "node9", "busbwFactor": 0.5 } ]  // slow only when both are in the set
// }
import fs from 'node:fs';

export function loadFaultMap() {
  const file = process.env.KEELSON_FAKE_FAULTS;
  if (!file) return { nodes: {}, links: [] };
  const map = JSON.parse(fs.readFileSync(file, 'utf8'));
  return { nodes: map.nodes ?? {}, links: map.links ?? [], ...map };
}

// The effect of the faults on a test over `hosts`; `networkOnly` when a single node runs with
// NCCL_P2P_DISABLE/NCCL_SHM_DISABLE (traffic forced through its NICs) or a solo perftest.
export function effectOf(map, hosts) {
  let factor = 1;
  let error;
  const solo = hosts.length === 1;
  for (const h of hosts) {
    const f = map.nodes[h];
    if (!f) continue;
    if (solo && f.soloOk) continue;
    if (typeof f.busbwFactor === 'number') factor = Math.min(factor, f.busbwFactor);
    if (f.error && !error) error = { kind: f.error, host: h };
  }
  for (const l of map.links) {
    if (hosts.includes(l.a) && hosts.includes(l.b)) factor = Math.min(factor, l.busbwFactor ?? 0.5);
  }
  return { factor, error };
}

// A small deterministic jitter (±1%) so tables look measured, the same for the same input.
export function jitter(seed) {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return 1 + (((h >>> 0) % 2001) - 1000) / 100000;
}
