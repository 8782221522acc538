import { RaError } from './errors.js';

/**
 * Agent classes a CIB may name. ocf, lsb, service and native run here;
 * the others are accepted so a CIB naming them loads, and running one
 * answers "not installed" (stonith resources belong to @vigil/stonith).
 */
export type AgentClass = 'ocf' | 'lsb' | 'service' | 'native' | 'systemd' | 'upstart' | 'nagios' | 'heartbeat' | 'stonith';

export const RUNNABLE_CLASSES: readonly AgentClass[] = ['ocf', 'lsb', 'service', 'native'];

/** Which agent a resource uses: `<primitive class provider type>`. */
export interface AgentSpec {
  readonly class: AgentClass;
  /** Only for ocf (and optional for native). */
  readonly provider?: string;
  readonly type: string;
}

const CLASSES: readonly AgentClass[] = [...RUNNABLE_CLASSES, 'systemd', 'upstart', 'nagios', 'heartbeat', 'stonith'];
// A type or provider becomes part of a file path: keep it to one path segment.
const SAFE_NAME = /^[A-Za-z0-9_.@+-]+$/;

/** Parse "ocf:heartbeat:Dummy", "lsb:nginx", "service:nginx", "native:app". */
export function parseAgentSpec(text: string): AgentSpec {
  const parts = text.split(':');
  const cls = parts[0] ?? '';
  if (!(CLASSES as readonly string[]).includes(cls)) {
    throw new RaError(
      'VIGIL_RA_UNKNOWN_CLASS',
      `agent '${text}': class '${cls}' is not one of ${CLASSES.join(', ')}`,
    );
  }
  if (cls === 'ocf') {
    if (parts.length !== 3) {
      throw new RaError('VIGIL_RA_BAD_AGENT_SPEC', `agent '${text}': an ocf agent is ocf:PROVIDER:TYPE`);
    }
    return checked(text, { class: 'ocf', provider: parts[1] ?? '', type: parts[2] ?? '' });
  }
  if (cls === 'native' && parts.length === 3) {
    return checked(text, { class: 'native', provider: parts[1] ?? '', type: parts[2] ?? '' });
  }
  if (parts.length !== 2) {
    throw new RaError('VIGIL_RA_BAD_AGENT_SPEC', `agent '${text}': expected ${cls}:TYPE`);
  }
  return checked(text, { class: cls as AgentClass, type: parts[1] ?? '' });
}

function checked(text: string, spec: AgentSpec): AgentSpec {
  for (const [field, value] of [
    ['provider', spec.provider],
    ['type', spec.type],
  ] as const) {
    if (value === undefined) continue;
    if (!SAFE_NAME.test(value) || value === '.' || value === '..') {
      throw new RaError('VIGIL_RA_BAD_AGENT_SPEC', `agent '${text}': ${field} '${value}' is not a plain name`);
    }
  }
  return spec;
}

export function formatAgentSpec(spec: AgentSpec): string {
  return spec.provider !== undefined ? `${spec.class}:${spec.provider}:${spec.type}` : `${spec.class}:${spec.type}`;
}

/**
 * Parse a Pacemaker duration ("20s", "1min", "500ms", "2h", "30" = seconds,
 * ISO 8601 "PT1M") into milliseconds.
 */
export function parseDurationMs(text: string, field = 'duration'): number {
  const trimmed = text.trim();
  const iso = /^P(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)$/i.exec(trimmed);
  if (iso && trimmed.length > 2) {
    return Math.round(
      (Number(iso[1] ?? 0) * 3600 + Number(iso[2] ?? 0) * 60 + Number(iso[3] ?? 0)) * 1000,
    );
  }
  const m = /^(\d+(?:\.\d+)?)\s*(ms|msec|s|sec|m|min|h|hr)?$/i.exec(trimmed);
  if (!m) {
    throw new RaError('VIGIL_RA_BAD_DURATION', `${field}: '${text}' is not a duration (e.g. 20s, 1min, 500ms)`);
  }
  const value = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor = unit === 'ms' || unit === 'msec' ? 1 : unit === 's' || unit === 'sec' ? 1000 : unit === 'h' || unit === 'hr' ? 3_600_000 : 60_000;
  return Math.round(value * factor);
}
