/** A restore source that asks the buddy for this node's replica (the "peer memory" tier). */
import { fetchReplica, type PeerAddress } from './peer.ts';
import { bufferSource, type RestoreSource } from './restore.ts';

export function peerSource(addr: PeerAddress, node: string): RestoreSource {
  return {
    tier: 'peer',
    async open(job, step, copy) {
      const got = await fetchReplica(addr, { node, job, rank: copy.rank });
      return got && got.head.step === step ? bufferSource(got.data) : undefined;
    },
  };
}
