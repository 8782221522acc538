import type { AgentSpec } from '@vigil/ra';

/**
 * One `<lrm_rsc_op>` of the status section, with the field names of
 * @vigil/cib's LrmRscOp so the scheduler reads it unchanged.
 */
export interface OpRecord {
  /** rsc_last_0, rsc_last_failure_0 or rsc_monitor_10000 (Pacemaker's ids). */
  readonly id: string;
  readonly operationKey: string;
  readonly operation: string;
  readonly intervalMs: number;
  readonly callId: number;
  readonly rcCode: number;
  readonly opStatus: number;
  readonly transitionKey?: string;
  readonly transitionMagic?: string;
  readonly opDigest: string;
  /** Digest over the non-reloadable parameters, when they are known. */
  readonly opRestartDigest?: string;
  /** Names of the non-reloadable parameters (op-force-restart). */
  readonly opForceRestart?: readonly string[];
  /** Seconds since the epoch. */
  readonly lastRcChange: number;
  readonly lastRun: number;
  readonly execTimeMs: number;
  readonly queueTimeMs: number;
  readonly onNode: string;
  readonly exitReason?: string;
  readonly migrateSource?: string;
  readonly migrateTarget?: string;
}

export interface ResourceHistory {
  readonly id: string;
  readonly agent: AgentSpec;
  readonly ops: readonly OpRecord[];
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** XML attributes in the order Pacemaker writes them. */
export function opRecordAttributes(r: OpRecord): Array<[string, string]> {
  const attrs: Array<[string, string]> = [
    ['id', r.id],
    ['operation_key', r.operationKey],
    ['operation', r.operation],
    ['crm-debug-origin', 'vigil-lrm'],
  ];
  if (r.transitionKey !== undefined) attrs.push(['transition-key', r.transitionKey]);
  if (r.transitionMagic !== undefined) attrs.push(['transition-magic', r.transitionMagic]);
  attrs.push(['exit-reason', r.exitReason ?? '']);
  attrs.push(
    ['on_node', r.onNode],
    ['call-id', String(r.callId)],
    ['rc-code', String(r.rcCode)],
    ['op-status', String(r.opStatus)],
    ['interval', String(r.intervalMs)],
    ['last-rc-change', String(r.lastRcChange)],
    ['last-run', String(r.lastRun)],
    ['exec-time', String(r.execTimeMs)],
    ['queue-time', String(r.queueTimeMs)],
    ['op-digest', r.opDigest],
  );
  if (r.opForceRestart !== undefined) attrs.push(['op-force-restart', ` ${r.opForceRestart.join(' ')} `]);
  if (r.opRestartDigest !== undefined) attrs.push(['op-restart-digest', r.opRestartDigest]);
  if (r.migrateSource !== undefined) attrs.push(['migrate_source', r.migrateSource]);
  if (r.migrateTarget !== undefined) attrs.push(['migrate_target', r.migrateTarget]);
  return attrs;
}

export function opRecordXml(r: OpRecord): string {
  return `<lrm_rsc_op ${opRecordAttributes(r).map(([k, v]) => `${k}="${esc(v)}"`).join(' ')}/>`;
}

export function resourceHistoryXml(h: ResourceHistory): string {
  const attrs = [`id="${esc(h.id)}"`, `type="${esc(h.agent.type)}"`, `class="${esc(h.agent.class)}"`];
  if (h.agent.provider !== undefined) attrs.push(`provider="${esc(h.agent.provider)}"`);
  const ops = h.ops.map((op) => `  ${opRecordXml(op)}`);
  return [`<lrm_resource ${attrs.join(' ')}>`, ...ops, '</lrm_resource>'].join('\n');
}

/** The node's `<lrm>` element as it sits in node_state. */
export function lrmXml(nodeId: string, resources: readonly ResourceHistory[]): string {
  const body = resources.map((h) => resourceHistoryXml(h).replace(/^/gm, '    ')).join('\n');
  return [`<lrm id="${esc(nodeId)}">`, '  <lrm_resources>', ...(body ? [body] : []), '  </lrm_resources>', '</lrm>'].join('\n');
}
