/** Wire messages for unit tests of the collector: one place that knows a valid hello. */
import type { Hello } from '../../protocol/messages.ts';

/** A valid hello from `nodeId` (epoch 'e', no labels), with `over` applied. */
export function helloFrom(nodeId: string, over: Partial<Hello> = {}): Hello {
  return {
    v: 1,
    ts: 0,
    type: 'hello',
    nodeId,
    hostname: nodeId,
    labels: {},
    agentVersion: 't',
    capabilities: [],
    epoch: 'e',
    lastAckedSeq: 0,
    ...over,
  };
}
