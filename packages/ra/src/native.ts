import { RaError } from './errors.js';
import type { AgentMetadata } from './metadata.js';
import type { AttributeLifetime } from './attributes.js';

/** What a native agent's action gets instead of an environment. */
export interface AgentContext {
  readonly resourceId: string;
  readonly action: string;
  /** Instance parameters, defaults applied. */
  readonly params: Readonly<Record<string, string>>;
  /** Meta attributes, the keys without the CRM_meta_ prefix (interval, timeout, notify_type...). */
  readonly meta: Readonly<Record<string, string>>;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly nodeName: string;
  /** Aborted on timeout or cancellation; long actions should watch it. */
  readonly signal: AbortSignal;
  /** The same store crm_attribute reaches, for promotion scores and node attributes. */
  readonly attributes: {
    get(name: string, lifetime?: AttributeLifetime): Promise<string | undefined>;
    set(name: string, value: string, lifetime?: AttributeLifetime): Promise<void>;
    delete(name: string, lifetime?: AttributeLifetime): Promise<void>;
    /** crm_attribute --promotion -v SCORE */
    setPromotionScore(score: number): Promise<void>;
    clearPromotionScore(): Promise<void>;
  };
}

/**
 * An OCF rc, or void for success. An action may also return
 * `{ rc, reason }` to give an exit reason; a thrown error becomes rc 1
 * (generic error) with the error's message as the exit reason.
 */
export type AgentActionResult = number | void | { readonly rc: number; readonly reason?: string; readonly output?: string };

export type AgentAction = (ctx: AgentContext) => Promise<AgentActionResult>;

/**
 * A resource agent written in TypeScript, run in-process: no script, no fork.
 * Missing optional actions answer "unimplemented" (rc 3) like a script's
 * usage branch would.
 */
export interface Agent {
  readonly metadata: AgentMetadata;
  start: AgentAction;
  stop: AgentAction;
  monitor: AgentAction;
  promote?: AgentAction;
  demote?: AgentAction;
  notify?: AgentAction;
  reload?: AgentAction;
  reloadAgent?: AgentAction;
  migrateTo?: AgentAction;
  migrateFrom?: AgentAction;
  validateAll?: AgentAction;
}

const METHOD_OF_ACTION: Record<string, keyof Agent> = {
  start: 'start',
  stop: 'stop',
  monitor: 'monitor',
  promote: 'promote',
  demote: 'demote',
  notify: 'notify',
  reload: 'reload',
  'reload-agent': 'reloadAgent',
  migrate_to: 'migrateTo',
  migrate_from: 'migrateFrom',
  'validate-all': 'validateAll',
};

export function nativeMethod(agent: Agent, action: string): AgentAction | undefined {
  const key = METHOD_OF_ACTION[action];
  if (!key) return undefined;
  const fn = agent[key];
  return typeof fn === 'function' ? (fn as AgentAction).bind(agent) : undefined;
}

/** Native agents by name; `native:NAME` (or native:PROVIDER:NAME) runs them. */
export class NativeAgentRegistry {
  private readonly agents = new Map<string, Agent>();

  static key(type: string, provider?: string): string {
    return provider ? `${provider}:${type}` : type;
  }

  register(name: string, agent: Agent, provider?: string): void {
    const key = NativeAgentRegistry.key(name, provider);
    if (this.agents.has(key)) {
      throw new RaError('VIGIL_RA_DUPLICATE_AGENT', `native agent '${key}' is already registered`);
    }
    this.agents.set(key, agent);
  }

  unregister(name: string, provider?: string): boolean {
    return this.agents.delete(NativeAgentRegistry.key(name, provider));
  }

  get(name: string, provider?: string): Agent | undefined {
    return this.agents.get(NativeAgentRegistry.key(name, provider));
  }

  names(): string[] {
    return [...this.agents.keys()].sort();
  }
}
