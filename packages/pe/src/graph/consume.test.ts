import { describe, expect, it } from 'vitest';
import { TransitionRunner } from './consume.js';
import type { GraphAction, TransitionGraph } from './produce.js';

function act(id: number, task: string, type: GraphAction['type'] = 'rsc_op'): GraphAction {
  return { id, type, key: `r${id}_${task}_0`, task, resource: `r${id}`, node: 'n1', intervalMs: 0, timeoutMs: 20_000, meta: {} };
}

function graph(actions: GraphAction[], edges: [number, number][], batchLimit = 0): TransitionGraph {
  return { actions, edges, batchLimit };
}

describe('TransitionRunner', () => {
  it('runs actions in dependency order and completes', () => {
    // 0 (fence) -> 1 (pseudo stop) -> 2 (start) ; 3 independent
    const g = graph([act(0, 'stonith', 'crm_event'), act(1, 'stop', 'pseudo_event'), act(2, 'start'), act(3, 'monitor')], [[0, 1], [1, 2]]);
    const r = new TransitionRunner(g);
    expect(r.next().map((a) => a.id)).toEqual([0, 3]);
    expect(r.next()).toEqual([]);
    r.complete(3, true);
    r.complete(0, true);
    // The pseudo stop completes by itself, releasing the start.
    expect(r.next().map((a) => a.id)).toEqual([2]);
    expect(r.state(1)).toBe('done');
    expect(r.outcome()).toBe('in-progress');
    r.complete(2, true);
    expect(r.outcome()).toBe('complete');
  });

  it('keeps at most batch-limit actions running', () => {
    const g = graph([act(0, 'start'), act(1, 'start'), act(2, 'start')], [], 2);
    const r = new TransitionRunner(g);
    expect(r.next()).toHaveLength(2);
    expect(r.next()).toHaveLength(0);
    r.complete(0, true);
    expect(r.next().map((a) => a.id)).toEqual([2]);
  });

  it('aborts on a failed action: nothing new starts, running actions finish', () => {
    const g = graph([act(0, 'stop'), act(1, 'start'), act(2, 'start')], [[0, 2]]);
    const r = new TransitionRunner(g);
    expect(r.next().map((a) => a.id)).toEqual([0, 1]);
    r.complete(0, false, 'stop of r0 returned 1');
    expect(r.aborted).toBe('stop of r0 returned 1');
    expect(r.next()).toEqual([]);
    expect(r.state(2)).toBe('skipped');
    expect(r.outcome()).toBe('in-progress');
    r.complete(1, true);
    expect(r.outcome()).toBe('aborted');
  });

  it('refuses results for actions that are not running', () => {
    const r = new TransitionRunner(graph([act(0, 'start')], []));
    expect(() => r.complete(0, true)).toThrow(/not running/);
    expect(() => r.state(9)).toThrow(/no action 9/);
  });
});
