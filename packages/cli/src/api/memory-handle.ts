import { bumpEpoch, compareVersions, withConfigurationSection, withVersion, type Cib, type CibVersion, type XmlElement } from '@vigil/cib';
import { applyNodeAction, applyNodeAttribute, applyProperty, applyResourceAction, restartPlan } from './cib-actions.js';
import {
  ClusterError,
  type ActionOutcome,
  type ClusterHandle,
  type ConfigSection,
  type NodeAction,
  type ReplaceOptions,
  type ResourceActionRequest,
  type StatusSnapshot,
} from './handle.js';

export interface MemoryHandleOptions {
  readonly nodeName: string;
  /** Defaults to the CIB's dc-uuid node. */
  readonly dc?: string;
  /** Defaults to the CIB's have-quorum. */
  readonly quorate?: boolean;
  readonly membership?: readonly string[];
  /** Seconds since the epoch; injected so tests control expiry. */
  readonly nowSec: () => number;
}

function versionText(v: CibVersion): string {
  return `${v.adminEpoch}.${v.epoch}.${v.numUpdates}`;
}

/**
 * A ClusterHandle over one CIB held in memory: every change is checked and
 * committed at once, nothing runs. For API tests, and to serve a CIB file
 * read-only or for experiments before a daemon exists.
 */
export class MemoryClusterHandle implements ClusterHandle {
  private current: Cib;
  /** Set to make every call fail as a node without a DC would. */
  unavailable: string | undefined;
  /** Every committed change, in order, for tests and audit. */
  readonly log: string[] = [];

  constructor(
    cib: Cib,
    private readonly opts: MemoryHandleOptions,
  ) {
    this.current = cib;
  }

  get cib(): Cib {
    return this.current;
  }

  private check(): void {
    if (this.unavailable !== undefined) throw new ClusterError('UNAVAILABLE', this.unavailable);
  }

  private commit(next: Cib, message: string): CibVersion {
    if (next !== this.current) {
      this.current = next;
      this.log.push(message);
    }
    return this.current.version;
  }

  private checkVersion(proposed: CibVersion | undefined, opts: ReplaceOptions | undefined): void {
    const cur = this.current.version;
    if (opts?.expectVersion && compareVersions(opts.expectVersion, cur) !== 0) {
      throw new ClusterError(
        'CONFLICT',
        `the CIB is at version ${versionText(cur)}, not ${versionText(opts.expectVersion)}; re-read it and retry`,
        { field: 'epoch' },
      );
    }
    if (proposed && compareVersions(proposed, cur) < 0) {
      throw new ClusterError(
        'CONFLICT',
        `the proposed CIB has version ${versionText(proposed)}, older than the current ${versionText(cur)}`,
        { field: 'epoch' },
      );
    }
  }

  async status(): Promise<StatusSnapshot> {
    this.check();
    const cib = this.current;
    const dc = this.opts.dc ?? cib.configuration.nodes.find((n) => n.id === cib.dcUuid)?.uname;
    return {
      cib,
      ...(dc !== undefined ? { dc } : {}),
      quorate: this.opts.quorate ?? cib.haveQuorum ?? false,
      nodeName: this.opts.nodeName,
      ...(this.opts.membership ? { membership: this.opts.membership } : {}),
      nowSec: this.opts.nowSec(),
    };
  }

  async getCib(): Promise<Cib> {
    this.check();
    return this.current;
  }

  async replaceCib(cib: Cib, opts?: ReplaceOptions): Promise<CibVersion> {
    this.check();
    this.checkVersion(cib.version, opts);
    // Like a committed replace in Pacemaker: the configuration epoch moves past both versions.
    const epoch = Math.max(cib.version.epoch, this.current.version.epoch) + 1;
    return this.commit(withVersion(cib, { ...cib.version, epoch, numUpdates: 0 }), 'replace cib');
  }

  async replaceSection(section: ConfigSection, element: XmlElement, opts?: ReplaceOptions): Promise<CibVersion> {
    this.check();
    this.checkVersion(undefined, opts);
    return this.commit(bumpEpoch(withConfigurationSection(this.current, section, element)), `replace ${section}`);
  }

  async setProperty(name: string, value: string | undefined): Promise<CibVersion> {
    this.check();
    return this.commit(applyProperty(this.current, name, value), `property ${name}=${value ?? '(removed)'}`);
  }

  async resourceAction(request: ResourceActionRequest): Promise<ActionOutcome> {
    this.check();
    if (request.action === 'restart') {
      // Nothing runs here, so the stop is over as soon as it is committed.
      const plan = restartPlan(this.current, request.resource, this.opts.nowSec());
      this.commit(plan.stop.cib, plan.stop.message);
      const restore = plan.restore(this.current);
      return { cibVersion: this.commit(restore.cib, restore.message), message: `restarted ${request.resource}` };
    }
    const edit = applyResourceAction(this.current, request, this.opts.nowSec());
    return { cibVersion: this.commit(edit.cib, edit.message), message: edit.message };
  }

  async nodeAction(action: NodeAction, node: string): Promise<ActionOutcome> {
    this.check();
    const edit = applyNodeAction(this.current, action, node);
    return { cibVersion: this.commit(edit.cib, edit.message), message: edit.message };
  }

  async setNodeAttribute(node: string, name: string, value: string | undefined): Promise<CibVersion> {
    this.check();
    return this.commit(applyNodeAttribute(this.current, node, name, value), `attribute ${node}:${name}=${value ?? '(removed)'}`);
  }
}
