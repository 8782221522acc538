import { evaluateRule, type LocationConstraint, type Rule } from '@vigil/cib';
import { addScore, scoreOf } from '../options.js';
import type { Rsc, SchedNode, WorkingSet } from '../working-set.js';
import { resolveRefs } from './refs.js';

/** Score of a rule on a node: its fixed score, or the node attribute it names. */
function ruleScore(rule: Rule, node: SchedNode): number | undefined {
  if (rule.scoreAttribute !== undefined) {
    const v = node.attrs[rule.scoreAttribute];
    return v === undefined ? undefined : scoreOf(v, 0);
  }
  return rule.score ?? 0;
}

function addTo(map: Map<string, number>, node: string, score: number): void {
  map.set(node, addScore(map.get(node) ?? 0, score));
}

/**
 * Apply one rsc_location to the resources it names: plain node scores, rule
 * scores (per node, evaluated against that node's attributes and the clock),
 * Promoted-role scores, and resource-discovery.
 */
export function applyLocation(c: LocationConstraint, ws: WorkingSet): void {
  const targets: Rsc[] = [];
  if (c.rsc !== undefined) targets.push(...resolveRefs([c.rsc], ws));
  if (c.rscPattern !== undefined) {
    // A regular expression searched for in each top-level resource id; a
    // leading "!" selects the resources it does not match.
    const negate = c.rscPattern.startsWith('!');
    let re: RegExp | undefined;
    try {
      re = new RegExp(negate ? c.rscPattern.slice(1) : c.rscPattern);
    } catch {
      ws.warnings.push(`rsc_location '${c.id}': bad rsc-pattern '${c.rscPattern}'`);
    }
    if (re) for (const r of ws.resources) if (re.test(r.id) !== negate) targets.push(r);
  }
  for (const set of c.sets) targets.push(...resolveRefs(set.resources, ws));
  if (targets.length === 0) return;

  for (const rsc of targets) {
    const promotedOnly = c.role === 'Promoted';
    const scoreMap = promotedOnly ? rsc.promotedScores : rsc.allowed;
    if (c.node !== undefined) {
      const node = ws.nodeByName.get(c.node);
      if (!node) continue;
      addTo(scoreMap, node.name, c.score ?? 0);
      if (c.resourceDiscovery) rsc.discovery.set(node.name, c.resourceDiscovery);
      continue;
    }
    for (const rule of c.rules) {
      const rolePromoted = rule.role === 'Promoted' || promotedOnly;
      const map = rolePromoted ? rsc.promotedScores : rsc.allowed;
      for (const node of ws.nodes) {
        // value-source="param"/"meta" compare with the resource's own parameters and meta attributes.
        const matches = evaluateRule(rule, { nodeAttrs: node.attrs, nowSec: ws.nowSec, ...(rsc.variant === 'primitive' ? { params: rsc.params } : {}), meta: rsc.meta });
        if (!matches) continue;
        const s = ruleScore(rule, node);
        if (s === undefined) continue;
        addTo(map, node.name, s);
        if (c.resourceDiscovery) rsc.discovery.set(node.name, c.resourceDiscovery);
      }
    }
  }
}
