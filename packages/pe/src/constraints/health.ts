import { INFINITY, unpackNvSets } from '@vigil/cib';
import { addScore, isTrue, scoreOf } from '../options.js';
import type { WorkingSet } from '../working-set.js';

/**
 * Node health: every node attribute named #health* is red, yellow, green or
 * a score; the node-health-strategy turns the colours into scores, and
 * their sum per node acts as a location preference of every resource for
 * that node (except resources with allow-unhealthy-nodes=true).
 */
export function applyNodeHealth(ws: WorkingSet): void {
  const strategy = ws.options.nodeHealthStrategy;
  if (strategy === 'none' || strategy === 'custom') return;
  const raw = unpackNvSets(ws.cib.configuration.crmConfig, { nowSec: ws.nowSec });
  const colours: Record<string, number> =
    strategy === 'migrate-on-red'
      ? { red: -INFINITY, yellow: 0, green: 0 }
      : strategy === 'only-green'
        ? { red: -INFINITY, yellow: -INFINITY, green: 0 }
        : {
            red: scoreOf(raw['node-health-red'], -INFINITY),
            yellow: scoreOf(raw['node-health-yellow'], 0),
            green: scoreOf(raw['node-health-green'], 0),
          };
  const base = strategy === 'progressive' ? scoreOf(raw['node-health-base'], 0) : 0;
  const health = new Map<string, number>();
  for (const node of ws.nodes) {
    let score = base;
    for (const [name, value] of Object.entries(node.attrs)) {
      if (!name.startsWith('#health')) continue;
      const v = value.trim().toLowerCase();
      score = addScore(score, colours[v] ?? scoreOf(value, 0));
    }
    if (score !== 0) health.set(node.name, score);
  }
  if (health.size === 0) return;
  for (const r of ws.resources) {
    if (isTrue(r.meta['allow-unhealthy-nodes'])) continue;
    for (const [node, score] of health) {
      // In an opt-in cluster health only adjusts nodes a resource may use anyway.
      if (!ws.options.symmetricCluster && !r.allowed.has(node)) continue;
      r.allowed.set(node, addScore(r.allowed.get(node) ?? 0, score));
    }
  }
}
