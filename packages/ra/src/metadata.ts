import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { RaError } from './errors.js';
import { parseDurationMs } from './spec.js';

export interface ParameterInfo {
  readonly name: string;
  readonly required: boolean;
  readonly unique: boolean;
  readonly uniqueGroup?: string;
  readonly reloadable: boolean;
  readonly deprecated: boolean;
  readonly type: string;
  readonly default?: string;
  readonly shortdesc?: string;
  readonly longdesc?: string;
}

export interface ActionInfo {
  readonly name: string;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  readonly depth?: number;
  readonly role?: string;
}

/** The parsed `<resource-agent>` document. Also the shape native agents declare. */
export interface AgentMetadata {
  readonly name: string;
  readonly version?: string;
  readonly shortdesc?: string;
  readonly longdesc?: string;
  readonly parameters: readonly ParameterInfo[];
  readonly actions: readonly ActionInfo[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['parameter', 'action', 'shortdesc', 'longdesc'].includes(name),
  textNodeName: '#text',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
});

type Node = Record<string, unknown>;

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first;
  if (first && typeof first === 'object' && '#text' in first) return String((first as Node)['#text']);
  return undefined;
}

function bool(value: unknown): boolean {
  return typeof value === 'string' && ['1', 'true', 'yes', 'on', 'y'].includes(value.toLowerCase());
}

/** Parse agent meta-data XML; `source` names the agent in errors. */
export function parseMetadata(xml: string, source: string): AgentMetadata {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new RaError(
      'VIGIL_RA_BAD_METADATA',
      `${source}: meta-data is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`,
    );
  }
  const doc = parser.parse(xml) as Node;
  const root = doc['resource-agent'] as Node | undefined;
  if (!root || typeof root !== 'object') {
    throw new RaError('VIGIL_RA_BAD_METADATA', `${source}: meta-data has no <resource-agent> root element`);
  }
  const params = ((root['parameters'] as Node | undefined)?.['parameter'] as Node[] | undefined) ?? [];
  const actions = ((root['actions'] as Node | undefined)?.['action'] as Node[] | undefined) ?? [];
  const parameters: ParameterInfo[] = params.map((p, index) => {
    const name = p['name'];
    if (typeof name !== 'string' || name === '') {
      throw new RaError('VIGIL_RA_BAD_METADATA', `${source}: <parameter> #${index + 1} has no name`);
    }
    const content = (p['content'] as Node | undefined) ?? {};
    const info: ParameterInfo = {
      name,
      required: bool(p['required']),
      unique: bool(p['unique']),
      reloadable: bool(p['reloadable']),
      deprecated: p['deprecated'] !== undefined,
      type: typeof content['type'] === 'string' ? (content['type'] as string) : 'string',
      ...(typeof p['unique-group'] === 'string' ? { uniqueGroup: p['unique-group'] as string } : {}),
      ...(typeof content['default'] === 'string' ? { default: content['default'] as string } : {}),
      ...optionalText('shortdesc', text(p['shortdesc'])),
      ...optionalText('longdesc', text(p['longdesc'])),
    };
    return info;
  });
  const actionInfos: ActionInfo[] = actions.map((a) => {
    const name = String(a['name'] ?? '');
    const out: { -readonly [K in keyof ActionInfo]: ActionInfo[K] } = { name };
    if (typeof a['timeout'] === 'string') out.timeoutMs = lenientDuration(a['timeout'] as string);
    if (typeof a['interval'] === 'string') out.intervalMs = lenientDuration(a['interval'] as string);
    if (typeof a['depth'] === 'string') out.depth = Number(a['depth']);
    if (typeof a['role'] === 'string') out.role = a['role'] as string;
    return out;
  });
  return {
    name: typeof root['name'] === 'string' ? (root['name'] as string) : source,
    ...optionalText('version', text(root['version'])),
    ...optionalText('shortdesc', text(root['shortdesc'])),
    ...optionalText('longdesc', text(root['longdesc'])),
    parameters,
    actions: actionInfos.filter((a) => a.name !== ''),
  };
}

function optionalText<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

// Shipped agents carry the odd malformed hint ("20s " or ""); a bad hint must
// not make the whole agent unusable, so it is simply absent.
function lenientDuration(value: string): number | undefined {
  try {
    return parseDurationMs(value);
  } catch {
    return undefined;
  }
}

/** Timeout the agent suggests for an action (monitor matched on interval first). */
export function suggestedTimeoutMs(meta: AgentMetadata, action: string, intervalMs = 0): number | undefined {
  const same = meta.actions.filter((a) => a.name === action);
  const exact = same.find((a) => (a.intervalMs ?? 0) === intervalMs);
  return (exact ?? same[0])?.timeoutMs;
}

export interface ParamCheckOptions {
  /** Where the attributes come from, for messages: "resource 'db'". */
  readonly subject: string;
}

/**
 * Check a resource's instance attributes against the agent's parameters and
 * return them with defaults filled in. Throws on the first unknown parameter
 * (listing the valid ones) or on missing required ones (all names at once).
 */
export function checkParameters(
  meta: AgentMetadata,
  params: Readonly<Record<string, string>>,
  options: ParamCheckOptions,
): Record<string, string> {
  const known = new Map(meta.parameters.map((p) => [p.name, p]));
  for (const name of Object.keys(params)) {
    // OCF_CHECK_LEVEL is the monitor depth set on an op, valid for every agent.
    if (!known.has(name) && name !== 'OCF_CHECK_LEVEL') {
      const valid = meta.parameters.map((p) => p.name).join(', ') || '(none)';
      throw new RaError(
        'VIGIL_RA_UNKNOWN_PARAMETER',
        `${options.subject}: parameter '${name}' is not a parameter of agent ${meta.name} (valid: ${valid})`,
      );
    }
  }
  const missing = meta.parameters.filter((p) => p.required && (params[p.name] ?? '') === '').map((p) => p.name);
  if (missing.length > 0) {
    throw new RaError(
      'VIGIL_RA_MISSING_PARAMETER',
      `${options.subject}: required parameter${missing.length > 1 ? 's' : ''} ${missing
        .map((n) => `'${n}'`)
        .join(', ')} of agent ${meta.name} ${missing.length > 1 ? 'have' : 'has'} no value`,
    );
  }
  const out: Record<string, string> = {};
  for (const p of meta.parameters) {
    const given = params[p.name];
    if (given !== undefined) out[p.name] = given;
    else if (p.default !== undefined && p.default !== '') out[p.name] = p.default;
  }
  return out;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Render meta-data as OCF XML (for native and LSB agents, which have none on disk). */
export function renderMetadata(meta: AgentMetadata): string {
  const lines = ['<?xml version="1.0"?>', `<resource-agent name="${esc(meta.name)}" version="${esc(meta.version ?? '1.0')}">`];
  lines.push('<version>1.1</version>');
  if (meta.longdesc !== undefined) lines.push(`<longdesc lang="en">${esc(meta.longdesc)}</longdesc>`);
  if (meta.shortdesc !== undefined) lines.push(`<shortdesc lang="en">${esc(meta.shortdesc)}</shortdesc>`);
  lines.push('<parameters>');
  for (const p of meta.parameters) {
    const attrs = [`name="${esc(p.name)}"`];
    if (p.required) attrs.push('required="1"');
    if (p.unique) attrs.push('unique="1"');
    if (p.reloadable) attrs.push('reloadable="1"');
    lines.push(`<parameter ${attrs.join(' ')}>`);
    if (p.longdesc !== undefined) lines.push(`<longdesc lang="en">${esc(p.longdesc)}</longdesc>`);
    lines.push(`<shortdesc lang="en">${esc(p.shortdesc ?? p.name)}</shortdesc>`);
    const def = p.default !== undefined ? ` default="${esc(p.default)}"` : '';
    lines.push(`<content type="${esc(p.type)}"${def}/>`);
    lines.push('</parameter>');
  }
  lines.push('</parameters>', '<actions>');
  for (const a of meta.actions) {
    const attrs = [`name="${esc(a.name)}"`];
    if (a.timeoutMs !== undefined) attrs.push(`timeout="${Math.ceil(a.timeoutMs / 1000)}s"`);
    if (a.intervalMs !== undefined) attrs.push(`interval="${Math.ceil(a.intervalMs / 1000)}s"`);
    if (a.depth !== undefined) attrs.push(`depth="${a.depth}"`);
    if (a.role !== undefined) attrs.push(`role="${esc(a.role)}"`);
    lines.push(`<action ${attrs.join(' ')}/>`);
  }
  lines.push('</actions>', '</resource-agent>', '');
  return lines.join('\n');
}
