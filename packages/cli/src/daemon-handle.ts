import { CibError, cibFromXml, serializeCib, withConfigurationSection, type Cib, type CibVersion, type XmlElement } from '@vigil/cib';
import { DaemonError, type ClusterNode } from '@vigil/crm';
import { unpack } from '@vigil/pe';
import { applyNodeAction, applyNodeAttribute, applyProperty, applyResourceAction, restartPlan } from './api/cib-actions.js';
import {
  ClusterError,
  type ActionOutcome,
  type ClusterHandle,
  type FenceOutcome,
  type ConfigSection,
  type NodeAction,
  type ReplaceOptions,
  type ResourceActionRequest,
  type StatusSnapshot,
} from './api/handle.js';

/** Map what the replicated store says into the API's error vocabulary. */
function refusal(code: string, message: string): ClusterError {
  switch (code) {
    case 'VIGIL_CRM_STALE_VERSION':
    case 'VIGIL_CRM_OLDER_VERSION':
    case 'VIGIL_CRM_WRITE_CONFLICT':
      return new ClusterError('CONFLICT', message);
    case 'VIGIL_CRM_INVALID_CIB':
      return new ClusterError('INVALID', message);
    case 'VIGIL_CRM_NO_DC':
    case 'VIGIL_CRM_PROPOSAL_TIMEOUT':
      return new ClusterError('NOT_DC', message);
    default:
      return new ClusterError('UNAVAILABLE', `${code}: ${message}`);
  }
}

/**
 * The HTTP API's view of a running node: reads come from this node's copy
 * of the committed CIB; every change is an edit of the newest CIB committed
 * through the DC, whole or not at all.
 */
export class DaemonHandle implements ClusterHandle {
  constructor(private readonly node: ClusterNode) {}

  async status(): Promise<StatusSnapshot> {
    const st = this.node.status();
    const dc = this.node.dcName();
    return {
      cib: this.node.cib(),
      ...(dc ? { dc } : {}),
      quorate: st.quorum.quorate,
      nodeName: this.node.name,
      membership: this.node.membership(),
      nowSec: Math.floor(Date.now() / 1000),
    };
  }

  async getCib(): Promise<Cib> {
    return this.node.cib();
  }

  async replaceCib(cib: Cib, opts: ReplaceOptions = {}): Promise<CibVersion> {
    const res = await this.node.replaceCib(serializeCib(cib), opts.expectVersion);
    if (!res.ok) throw refusal(res.code, res.message);
    return res.version;
  }

  async replaceSection(section: ConfigSection, element: XmlElement, opts: ReplaceOptions = {}): Promise<CibVersion> {
    const live = this.node.cib();
    if (opts.expectVersion && !sameVersion(live.version, opts.expectVersion)) {
      throw new ClusterError('CONFLICT', `expected CIB version ${fmt(opts.expectVersion)} but it is ${fmt(live.version)}`);
    }
    return this.edit((cib) => withConfigurationSection(cib, section, element));
  }

  async setProperty(name: string, value: string | undefined): Promise<CibVersion> {
    return this.edit((cib) => applyProperty(cib, name, value));
  }

  async resourceAction(request: ResourceActionRequest): Promise<ActionOutcome> {
    if (request.action === 'restart') return this.restart(request.resource);
    let message = '';
    const cibVersion = await this.edit((cib) => {
      const e = applyResourceAction(cib, request, Math.floor(Date.now() / 1000));
      message = e.message;
      return e.cib;
    });
    return { cibVersion, message };
  }

  async nodeAction(action: NodeAction, node: string): Promise<ActionOutcome> {
    let message = '';
    const cibVersion = await this.edit((cib) => {
      const e = applyNodeAction(cib, action, node);
      message = e.message;
      return e.cib;
    });
    return { cibVersion, message };
  }

  async fence(node: string, action: 'off' | 'reboot'): Promise<FenceOutcome> {
    try {
      return { node, ...(await this.node.fenceOnRequest(node, action)) };
    } catch (err) {
      throw this.mapped(err);
    }
  }

  async confirmFenced(node: string, by: string): Promise<FenceOutcome> {
    try {
      return { node, ...(await this.node.confirmFenced(node, by)) };
    } catch (err) {
      throw this.mapped(err);
    }
  }

  async fenceHistory(): Promise<readonly Record<string, unknown>[]> {
    return this.node.fencingHistory() as unknown as Record<string, unknown>[];
  }

  private mapped(err: unknown): Error {
    if (err instanceof DaemonError) {
      if (err.code === 'VIGIL_CRM_UNKNOWN_NODE') return new ClusterError('NOT_FOUND', err.message);
      if (err.code === 'VIGIL_CRM_NOT_DC') return new ClusterError('NOT_DC', err.message);
      return new ClusterError('INVALID_ACTION', err.message);
    }
    return err as Error;
  }

  async setNodeAttribute(node: string, name: string, value: string | undefined): Promise<CibVersion> {
    return this.edit((cib) => applyNodeAttribute(cib, node, name, value));
  }

  /**
   * Restart in place, as crm_resource --restart does: stop it (target-role
   * Stopped), wait until it has stopped everywhere, then restore its
   * target-role so it starts again.
   */
  private async restart(id: string, timeoutMs = 120_000): Promise<ActionOutcome> {
    const now = (): number => Math.floor(Date.now() / 1000);
    const plan = restartPlan(this.node.cib(), id, now());
    await this.edit(() => plan.stop.cib);
    const deadline = Date.now() + timeoutMs;
    const running = (): boolean => unpack(this.node.cib(), now()).primitives.some((p) => (p.id === id || p.baseId === id || hasAncestor(p, id)) && p.runningOn.length > 0);
    while (running()) {
      if (Date.now() > deadline) throw new ClusterError('UNAVAILABLE', `restart of ${id}: it did not stop within ${timeoutMs / 1000} s; target-role is left Stopped`);
      await new Promise((r) => setTimeout(r, 100));
    }
    let message = '';
    const cibVersion = await this.edit((cib) => {
      const e = plan.restore(cib);
      message = e.message;
      return e.cib;
    });
    return { cibVersion, message: `${id} stopped and started again (${message})` };
  }

  /** Apply a CIB edit to the newest committed CIB (retrying if it moves underneath). */
  private async edit(fn: (cib: Cib) => Cib): Promise<CibVersion> {
    try {
      return await this.node.editCib((root) => fn(cibFromXml(root)).xml);
    } catch (err) {
      if (err instanceof ClusterError) throw err;
      if (err instanceof CibError) throw new ClusterError('INVALID', err.message);
      if (err instanceof DaemonError) throw refusal(err.code, err.message);
      throw err;
    }
  }
}

function hasAncestor(p: { parent?: { id: string; parent?: unknown } }, id: string): boolean {
  for (let x = p.parent as { id: string; parent?: unknown } | undefined; x; x = x.parent as typeof x) if (x.id === id) return true;
  return false;
}

function sameVersion(a: CibVersion, b: CibVersion): boolean {
  return a.adminEpoch === b.adminEpoch && a.epoch === b.epoch && a.numUpdates === b.numUpdates;
}

function fmt(v: CibVersion): string {
  return `${v.adminEpoch}.${v.epoch}.${v.numUpdates}`;
}

