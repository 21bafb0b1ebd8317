/**
 * The policy Keelson ships: fatal hardware → drain; a training hang → restart the job (the job
 * flow isolates after repeats); repair suggestions climb the ladder restart → reset → reboot →
 * inspect (which drains). Operators copy this YAML and edit it (`isolation.policyFile`).
 */
import { type CompiledPolicy, parsePolicy } from './policy.ts';

export const DEFAULT_POLICY_YAML = `# Keelson isolation policy (version 1). Rules are tried in order; every rule that fires adds
# its actions, a rule with final: true stops the rest.
version: 1
ladder:
  steps: [restart-job, reset-gpu, reboot, inspect-hardware]
  repeats: { restart-job: 2, reset-gpu: 2, reboot: 2 }
  memoryHours: 720
  isolateAt: [inspect-hardware]
rules:
  # What the collector infers about liveness and the agent's own troubles never isolate a node.
  - name: ignore-meta
    match:
      code: [node.lost, 'probe.*', kernel.log.unreadable, gpu.smi.missing, nvme.tool.missing, nvme.smart.unreadable]
    do: [none]
    final: true
  # A training hang: restart the ranks locally; the job flow isolates the node after repeats.
  - name: job-fault
    match: { code: [train.hang] }
    do: [restart-job]
    final: true
  - name: fatal-hardware
    match: { severity: [fatal], exclude: ['train.*'] }
    do: [isolate, escalate]
  - name: drain-suggested
    match: { minSeverity: degraded, action: [drain] }
    do: [isolate]
  - name: repair-ladder
    match: { severity: [degraded], action: [restart-job, reset-gpu, reboot], exclude: ['train.*'] }
    do: [escalate]
  - name: repeated-app-xid
    match: { code: 'gpu.xid.*', action: [restart-job] }
    count: { atLeast: 5, withinMinutes: 60, per: component }
    do: [reset-gpu]
  - name: inspect
    match: { minSeverity: degraded, action: [inspect-hardware] }
    do: [inspect-hardware]
`;

/** The shipped policy, compiled. */
export function defaultPolicy(): CompiledPolicy {
  return parsePolicy(DEFAULT_POLICY_YAML, 'default policy');
}
