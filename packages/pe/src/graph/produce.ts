import type { Action, ActionSet } from '../actions.js';
import type { WorkingSet } from '../working-set.js';

export interface GraphAction {
  readonly id: number;
  /** rsc_op runs an agent; pseudo_event is bookkeeping; crm_event is fencing or shutdown. */
  readonly type: 'rsc_op' | 'pseudo_event' | 'crm_event';
  /** Pacemaker's operation key: RSC_TASK_INTERVALMS, or the task for node events. */
  readonly key: string;
  readonly task: string;
  readonly resource?: string;
  readonly node?: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly meta: Readonly<Record<string, string>>;
}

export interface TransitionGraph {
  readonly actions: readonly GraphAction[];
  /** [before, after]: `after` may start only once `before` has completed. */
  readonly edges: readonly (readonly [number, number])[];
  readonly batchLimit: number;
}

function inGraph(a: Action): boolean {
  return a.required && a.runnable;
}

/** Keep the actions that must run and the orderings between them. */
export function produceGraph(ws: WorkingSet, set: ActionSet): TransitionGraph {
  const kept = set.actions.filter(inGraph);
  const ids = new Map<Action, number>();
  kept.forEach((a, i) => ids.set(a, i));
  const actions: GraphAction[] = kept.map((a, i) => {
    const rscId = a.rsc?.id;
    const type: GraphAction['type'] = a.task === 'stonith' || a.task === 'do_shutdown' ? 'crm_event' : a.pseudo || a.rsc?.variant !== 'primitive' ? 'pseudo_event' : 'rsc_op';
    const key = rscId ? `${rscId}_${a.task}_${a.intervalMs}` : a.task;
    return {
      id: i,
      type,
      key,
      task: a.task,
      ...(rscId ? { resource: rscId } : {}),
      ...(a.node ? { node: a.node.name } : {}),
      intervalMs: a.intervalMs,
      timeoutMs: a.timeoutMs,
      meta: a.meta,
    };
  });
  const edges: [number, number][] = [];
  const seen = new Set<string>();
  for (const o of set.orderings) {
    if (o.noEdge) continue;
    const f = ids.get(o.first);
    const t = ids.get(o.then);
    if (f === undefined || t === undefined) continue;
    const k = `${f}>${t}`;
    if (seen.has(k)) continue;
    seen.add(k);
    edges.push([f, t]);
  }
  return { actions, edges, batchLimit: ws.options.batchLimit };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The graph as XML, in the shape of Pacemaker's transition graphs (synapses with inputs). */
export function graphToXml(g: TransitionGraph): string {
  const inputs = new Map<number, number[]>();
  for (const [before, after] of g.edges) {
    const l = inputs.get(after) ?? [];
    l.push(before);
    inputs.set(after, l);
  }
  const tag = (a: GraphAction): string => (a.type === 'rsc_op' ? 'rsc_op' : a.type === 'crm_event' ? 'crm_event' : 'pseudo_event');
  const attrs = (a: GraphAction): string => {
    const parts = [`id="${a.id}"`, `operation="${esc(a.task)}"`, `operation_key="${esc(a.key)}"`];
    if (a.node) parts.push(`on_node="${esc(a.node)}"`);
    return parts.join(' ');
  };
  const lines = [`<transition_graph batch-limit="${g.batchLimit}" transition_id="0">`];
  g.actions.forEach((a, i) => {
    lines.push(`  <synapse id="${i}">`);
    lines.push('    <action_set>');
    lines.push(`      <${tag(a)} ${attrs(a)}>`);
    if (a.resource) lines.push(`        <primitive id="${esc(a.resource)}"/>`);
    const meta = Object.entries(a.meta).map(([k, v]) => ` CRM_meta_${k.replace(/-/g, '_')}="${esc(v)}"`).join('');
    lines.push(`        <attributes CRM_meta_timeout="${a.timeoutMs}"${a.intervalMs ? ` CRM_meta_interval="${a.intervalMs}"` : ''}${meta}/>`);
    lines.push(`      </${tag(a)}>`);
    lines.push('    </action_set>');
    const ins = inputs.get(a.id) ?? [];
    if (ins.length === 0) lines.push('    <inputs/>');
    else {
      lines.push('    <inputs>');
      for (const before of ins) {
        const b = g.actions[before]!;
        lines.push(`      <trigger>`);
        lines.push(`        <${tag(b)} ${attrs(b)}/>`);
        lines.push(`      </trigger>`);
      }
      lines.push('    </inputs>');
    }
    lines.push('  </synapse>');
  });
  lines.push('</transition_graph>');
  return lines.join('\n') + '\n';
}
