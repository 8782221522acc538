/**
 * The document the simulator replicates: a stand-in for the CIB with the same
 * version triple and a status section of node attributes, cheap to copy.
 */
import type { CibOps, CibVersion } from '../types.js';

export interface SimDoc {
  readonly version: CibVersion;
  readonly config: Readonly<Record<string, string>>;
  readonly status: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export const simDocOps: CibOps<SimDoc> = {
  initial: () => ({ version: { adminEpoch: 0, epoch: 0, numUpdates: 0 }, config: {}, status: {} }),
  version: (doc) => doc.version,
  withVersion: (doc, version) => ({ ...doc, version }),
  validate: (doc) => (doc.config['broken'] !== undefined ? `configuration element 'broken' does not parse: ${doc.config['broken']}` : null),
  setNodeAttribute: (doc, node, name, value) => {
    const attrs = { ...(doc.status[node] ?? {}) };
    if (value === null) delete attrs[name];
    else attrs[name] = value;
    return { ...doc, status: { ...doc.status, [node]: attrs } };
  },
};
