/**
 * The life of a cluster node as crm sees it, as an explicit xstate machine:
 * pending → member → (lost | unclean) → fencing → fenced → rejoining → member.
 * A node that leaves without saying so is unclean: whatever it ran may still
 * run, so it must be fenced before its resources start elsewhere. Only a clean
 * shutdown makes it plainly lost. A returning node is rejoining until it has
 * synced the committed CIB; only then is it a member again.
 */
import { createActor, setup, type ActorRefFrom } from 'xstate';
import type { NodeId } from './quorum.js';

export type LifecycleState = 'pending' | 'member' | 'lost' | 'unclean' | 'fencing' | 'fenced' | 'rejoining';

export type LifecycleEvent =
  | { type: 'JOIN' }
  | { type: 'SYNCED' }
  | { type: 'LEAVE' }
  | { type: 'LEAVE_CLEAN' }
  | { type: 'FENCE_START' }
  | { type: 'FENCE_OK' }
  | { type: 'FENCE_FAIL' };

export const nodeLifecycleMachine = setup({
  types: { events: {} as LifecycleEvent },
}).createMachine({
  id: 'crm-node',
  initial: 'pending',
  states: {
    // Known from the nodelist or seen once, not yet known to hold the committed CIB.
    pending: { on: { SYNCED: 'member', LEAVE: 'lost', LEAVE_CLEAN: 'lost', FENCE_START: 'fencing' } },
    member: { on: { LEAVE: 'unclean', LEAVE_CLEAN: 'lost', FENCE_START: 'fencing' } },
    lost: { on: { JOIN: 'rejoining', FENCE_START: 'fencing' } },
    unclean: { on: { FENCE_START: 'fencing', JOIN: 'rejoining' } },
    fencing: { on: { FENCE_OK: 'fenced', FENCE_FAIL: 'unclean' } },
    fenced: { on: { JOIN: 'rejoining' } },
    rejoining: { on: { SYNCED: 'member', LEAVE: 'unclean', LEAVE_CLEAN: 'lost', FENCE_START: 'fencing' } },
  },
});

export interface LifecycleChange {
  readonly node: NodeId;
  readonly from: LifecycleState;
  readonly to: LifecycleState;
}

/** One lifecycle actor per configured node; reports every state change. */
export class NodeLifecycles {
  private readonly actors = new Map<NodeId, ActorRefFrom<typeof nodeLifecycleMachine>>();

  constructor(nodeIds: readonly NodeId[]) {
    for (const id of nodeIds) this.actors.set(id, createActor(nodeLifecycleMachine).start());
  }

  state(node: NodeId): LifecycleState | undefined {
    return this.actors.get(node)?.getSnapshot().value as LifecycleState | undefined;
  }

  states(): Record<NodeId, LifecycleState> {
    const out: Record<NodeId, LifecycleState> = {};
    for (const [id, actor] of this.actors) out[id] = actor.getSnapshot().value as LifecycleState;
    return out;
  }

  /** Sends an event; returns the change, or null when the event does not apply in this state. */
  send(node: NodeId, event: LifecycleEvent): LifecycleChange | null {
    const actor = this.actors.get(node);
    if (!actor) return null;
    const from = actor.getSnapshot().value as LifecycleState;
    actor.send(event);
    const to = actor.getSnapshot().value as LifecycleState;
    return from === to ? null : { node, from, to };
  }
}
