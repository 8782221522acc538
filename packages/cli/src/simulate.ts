import { parseCib, type Cib } from '@vigil/cib';
import { formatClusterStatus, schedule, type ScheduleResult, type SummaryLine } from '@vigil/pe';

export interface SimulateOptions {
  readonly showScores?: boolean;
  /** Seconds since the epoch; defaults to the CIB's execution-date, then the caller's clock. */
  readonly nowSec?: number;
}

export interface Simulation {
  readonly cib: Cib;
  readonly result: ScheduleResult;
  readonly nowSec: number;
}

/** The time a scheduler run should assume: the CIB's recorded execution date, if any. */
export function executionDate(cib: Cib): number | undefined {
  const raw = cib.xml.attrs['execution-date'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

export function simulate(xmlText: string, source: string, fallbackNowSec: number, opts: SimulateOptions = {}): Simulation {
  const cib = parseCib(xmlText, { source });
  const nowSec = opts.nowSec ?? executionDate(cib) ?? fallbackNowSec;
  const result = schedule(cib, nowSec, { traceScores: opts.showScores ?? false });
  return { cib, result, nowSec };
}

/** Summary lines with crm_simulate's column padding. */
export function formatSummary(lines: readonly SummaryLine[]): string[] {
  const width = Math.max(0, ...lines.filter((l) => l.resource).map((l) => l.resource!.length));
  return lines.map((l) => {
    if (!l.resource) return `  * ${l.text}`;
    const rest = l.text.slice(l.kind.length + 1 + l.resource.length + 1);
    return `  * ${l.kind.padEnd(10)} ${l.resource.padEnd(width)} ${rest}`;
  });
}

function executionLines(result: ScheduleResult): string[] {
  const g = result.graph;
  const indeg = new Map<number, number>();
  const next = new Map<number, number[]>();
  for (const a of g.actions) indeg.set(a.id, 0);
  for (const [b, a] of g.edges) {
    indeg.set(a, (indeg.get(a) ?? 0) + 1);
    next.set(b, [...(next.get(b) ?? []), a]);
  }
  const ready = g.actions.filter((a) => indeg.get(a.id) === 0).map((a) => a.id);
  const out: string[] = [];
  const seen = new Set<number>();
  while (ready.length) {
    const id = ready.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const a = g.actions[id]!;
    if (a.type === 'crm_event' && a.task === 'stonith') out.push(`  * Fencing ${a.node} (${a.meta['action'] ?? 'reboot'})`);
    else if (a.type === 'pseudo_event') out.push(`  * Pseudo action:   ${a.key}`);
    else {
      const task = a.intervalMs ? `${a.task}=${a.intervalMs}` : a.task;
      out.push(`  * Resource action: ${(a.resource ?? '').padEnd(15)} ${task} on ${a.node}`);
    }
    for (const n of next.get(id) ?? []) {
      indeg.set(n, (indeg.get(n) ?? 1) - 1);
      if (indeg.get(n) === 0) ready.push(n);
    }
  }
  return out;
}

/** The text `crm_simulate -S` prints, section by section. */
export function formatSimulation(sim: Simulation, opts: SimulateOptions = {}): string {
  const { result } = sim;
  const parts: string[] = [];
  if (opts.showScores && result.scores) {
    parts.push('Allocation scores:');
    for (const [rsc, nodes] of result.scores) {
      for (const [node, score] of nodes) {
        const s = score >= 1_000_000 ? 'INFINITY' : score <= -1_000_000 ? '-INFINITY' : String(score);
        parts.push(`pcmk__primitive_assign: ${rsc} allocation score on ${node}: ${s}`);
      }
    }
    parts.push('');
  }
  parts.push('Current cluster status:', formatClusterStatus(result.working), '');
  parts.push('Transition Summary:', ...formatSummary(result.summary), '');
  parts.push('Executing Cluster Transition:', ...executionLines(result), '');
  parts.push('Revised Cluster Status:', formatClusterStatus(result.working, result.actions));
  return parts.join('\n') + '\n';
}
