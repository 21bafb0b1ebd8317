/**
 * Policy evaluation: one new occurrence of a finding on a node, the node's recent occurrences
 * and the ladder's memory in; the rules that fire and the actions they ask for out. Pure.
 */
import { type Finding, type Severity, severityRank } from '../../core/finding.ts';
import { matchesAnyGlob } from './code-glob.ts';
import { type LadderEntry, nextLadderStep } from './ladder.ts';
import type { CompiledPolicy, CompiledRule, LadderStep } from './policy.ts';

/** An occurrence of a finding: an open, or a repeat of an event (n new observations). */
export interface Occurrence {
  node: string;
  code: string;
  component: string;
  severity: Severity;
  action: Finding['action'];
  kind: Finding['kind'];
  at: number;
  n: number;
}

/** The concrete things the engine may do (escalate is resolved into a step). */
export type DecidedAction = 'isolate' | 'restart-job' | 'reset-gpu' | 'reboot' | 'inspect-hardware';

export interface PolicyDecision {
  /** Names of the rules that fired, in order. */
  rules: string[];
  actions: DecidedAction[];
  /** The ladder step chosen, when a rule escalated. */
  ladderStep?: LadderStep;
  /** One line per rule, for the audit. */
  why: string[];
}

type Matchable = Pick<Occurrence, 'code' | 'component' | 'severity' | 'action' | 'kind'>;

/** Whether one rule's match block accepts a finding (counts aside). */
export function ruleMatches(rule: CompiledRule, f: Matchable): boolean {
  const m = rule.match;
  if (!matchesAnyGlob(rule.codeRe, f.code)) return false;
  if (matchesAnyGlob(rule.excludeRe, f.code)) return false;
  if (rule.componentRe && !matchesAnyGlob(rule.componentRe, f.component)) return false;
  if (m.severity && !m.severity.includes(f.severity)) return false;
  if (m.minSeverity && severityRank(f.severity) < severityRank(m.minSeverity)) return false;
  if (m.action && !m.action.includes(f.action)) return false;
  if (m.kind && m.kind !== f.kind) return false;
  return true;
}

/** Occurrences that count for `rule` around `current` within its window. */
export function countInWindow(rule: CompiledRule, current: Occurrence, occurrences: readonly Occurrence[]): number {
  if (!rule.count) return current.n;
  const since = current.at - rule.count.withinMinutes * 60_000;
  let sum = 0;
  for (const o of occurrences) {
    if (o.node !== current.node || o.at < since || o.at > current.at) continue;
    if (rule.count.per === 'component' && o.component !== current.component) continue;
    if (ruleMatches(rule, o)) sum += o.n;
  }
  return sum;
}

/**
 * Evaluate the policy for `current` (already included in `occurrences` or not — it is counted
 * once either way). `ladderHistory` holds steps taken for any node and code.
 */
export function evaluatePolicy(
  policy: CompiledPolicy,
  current: Occurrence,
  occurrences: readonly Occurrence[],
  ladderHistory: readonly LadderEntry[],
): PolicyDecision {
  const all = occurrences.includes(current) ? occurrences : [...occurrences, current];
  const decision: PolicyDecision = { rules: [], actions: [], why: [] };
  const add = (a: DecidedAction) => {
    if (!decision.actions.includes(a)) decision.actions.push(a);
  };
  for (const rule of policy.rules) {
    if (!ruleMatches(rule, current)) continue;
    const n = countInWindow(rule, current, all);
    if (rule.count && n < rule.count.atLeast) continue;
    decision.rules.push(rule.name);
    const counted = rule.count ? ` (${n}× within ${rule.count.withinMinutes} min per ${rule.count.per})` : '';
    decision.why.push(`rule ${rule.name}: ${current.code} ${current.component} ${current.severity}${counted}`);
    for (const a of rule.do) {
      if (a === 'none') continue;
      if (a !== 'escalate') {
        add(a);
        continue;
      }
      if (decision.ladderStep) continue;
      const v = nextLadderStep(policy.ladder, ladderHistory, current.node, current.code, current.action, current.at);
      if (!v) continue;
      decision.ladderStep = v.step;
      decision.why.push(`ladder: ${v.why}`);
      add(v.step);
      if (policy.ladder.isolateAt.includes(v.step)) add('isolate');
    }
    if (rule.final) break;
  }
  return decision;
}
