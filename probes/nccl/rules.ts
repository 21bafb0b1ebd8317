/**
 * Pure rules from a parsed network test run and its judgement to observations, for
 * `keelson analyze` and for the agent that runs a test: failures, wrong results, a run that
 * stopped half-way, and bandwidth below the baseline.
 */
import { capEvidence, type Observation } from '../../core/finding.ts';
import type { NetJudgement } from './baselines.ts';
import type { NcclTestsRecord } from './parse-nccl-tests.ts';
import type { PerftestRecord } from './parse-perftest.ts';

function obs(
  code: string,
  severity: Observation['severity'],
  action: Observation['action'],
  message: string,
  evidence: string,
  component = 'net',
): Observation {
  return { code, component, severity, action, kind: 'event', message, evidence: capEvidence(evidence) };
}

/** Observations for one nccl-tests run. */
export function ncclTestsObservations(record: NcclTestsRecord, judgement: NetJudgement): Observation[] {
  const out: Observation[] = [];
  const where = record.hosts.length > 0 ? ` on ${record.hosts.join(',')}` : '';
  const wrong = record.errors.filter((e) => e.kind === 'wrong-results' || e.kind === 'out-of-bounds');
  if (wrong.length > 0) {
    out.push(
      obs(
        'net.nccl.wrong',
        'fatal',
        'inspect-hardware',
        `nccl-tests found wrong results${where} (${wrong.length} line(s)): a GPU, NVLink or NIC corrupts data`,
        wrong[0]?.line ?? '',
      ),
    );
  }
  const failures = record.errors.filter((e) => e.kind === 'test-failure');
  const finished = record.avgBusbwGBps !== undefined || record.outOfBounds !== undefined;
  const warn = record.errors.find((e) => e.kind === 'nccl-warn');
  if (failures.length > 0 || (!finished && warn)) {
    const first = failures[0]?.line ?? warn?.line ?? '';
    out.push(
      obs('net.nccl.error', 'degraded', 'inspect-hardware', `nccl-tests failed${where}: ${first}`, warn?.line ?? first),
    );
  } else if (!finished && wrong.length === 0) {
    const last = record.rows.at(-1);
    out.push(
      obs(
        'net.nccl.incomplete',
        'warn',
        'none',
        `nccl-tests output ends before its summary${where}${last ? ` (last size ${last.bytes} B)` : ''}: the run hung, was killed or the capture is cut`,
        last ? `${last.bytes} ${last.count} ${last.type}` : 'no result rows',
      ),
    );
  }
  if (judgement.verdict === 'slow') {
    out.push(
      obs(
        'net.nccl.slow',
        'degraded',
        'inspect-hardware',
        `all-reduce bus bandwidth${where} is below the ${judgement.baselineId ?? ''} baseline`,
        judgement.reasons[0] ?? '',
      ),
    );
  }
  return out;
}

/** Observations for one perftest bandwidth run (`ib_write_bw`). */
export function perftestObservations(record: PerftestRecord, judgement: NetJudgement): Observation[] {
  const device = record.settings.Device;
  const component = device ? `ib:${device}` : 'net';
  if (record.errors.length > 0) {
    return [
      obs(
        'net.ib.error',
        'degraded',
        'inspect-hardware',
        `ib_write_bw failed: ${record.errors[0]}`,
        record.errors[0] ?? '',
        component,
      ),
    ];
  }
  if (record.rows.length === 0) {
    return [
      obs(
        'net.ib.error',
        'degraded',
        'inspect-hardware',
        'ib_write_bw printed no result: the peer never answered or the run was cut',
        record.test ?? '',
        component,
      ),
    ];
  }
  if (judgement.verdict === 'slow') {
    return [
      obs(
        'net.ib.bw',
        'degraded',
        'inspect-hardware',
        `RDMA write bandwidth below the link's expectation`,
        judgement.reasons[0] ?? '',
        component,
      ),
    ];
  }
  return [];
}
