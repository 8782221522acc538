import type { AttributeLifetime, AttributeStore } from './attributes.js';

/**
 * The answers behind the crm_attribute, crm_master and crm_node commands an
 * agent finds on its PATH. The command-line forms are the ones real agents
 * use (ocf:pacemaker:Stateful, ocf-shellfuncs' ocf_promotion_score,
 * ocf_local_nodename): --promotion/-p, -G/--query, -q, -v/--update,
 * -D/--delete, -l/--lifetime, -N/--node, -n/--name, -t/--type, -d/--default,
 * and crm_master's -r plus the deprecated spellings it still forwards.
 */

export interface HelperContext {
  readonly store: AttributeStore;
  readonly localNode: string;
  readonly localNodeId: string;
  readonly cluster: ClusterView;
  /** Environment of the calling agent (OCF_RESOURCE_INSTANCE matters). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ClusterMember {
  readonly id: string;
  readonly name: string;
  readonly member: boolean;
}

/** What crm_node reports; the node daemon supplies its membership view. */
export interface ClusterView {
  members(): readonly ClusterMember[];
  hasQuorum(): boolean;
}

export interface HelperResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

// Pacemaker's exit codes for these tools (crm_exit_t).
const EX_OK = 0;
const EX_ERROR = 1;
const EX_UNIMPLEMENTED = 3;
const EX_USAGE = 64;
const EX_NOSUCH = 105;

export const HELPER_COMMANDS = ['crm_attribute', 'crm_master', 'crm_node', 'attrd_updater'] as const;
export type HelperCommand = (typeof HELPER_COMMANDS)[number];

export async function runHelperCommand(cmd: string, argv: readonly string[], ctx: HelperContext): Promise<HelperResult> {
  switch (cmd) {
    case 'crm_attribute':
      return crmAttribute(argv, ctx, {});
    case 'crm_master':
      return crmMaster(argv, ctx);
    case 'crm_node':
      return crmNode(argv, ctx);
    case 'attrd_updater':
      return attrdUpdater(argv, ctx);
    default:
      return { code: EX_USAGE, stdout: '', stderr: `${cmd}: not a helper command\n` };
  }
}

interface OptSpec {
  /** option name -> canonical key; value true = takes an argument, 'optional' = only attached (=x / -px). */
  readonly [flag: string]: readonly [key: string, arg: boolean | 'optional'];
}

type Parsed = { opts: Array<[string, string | undefined]>; error?: string };

function getopt(argv: readonly string[], spec: OptSpec, tool: string): Parsed {
  const opts: Array<[string, string | undefined]> = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const flag = eq >= 0 ? arg.slice(0, eq) : arg;
      const def = spec[flag];
      if (!def) return { opts, error: `${tool}: unknown option '${flag}'` };
      if (def[1] === true) {
        const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined) return { opts, error: `${tool}: option '${flag}' needs a value` };
        opts.push([def[0], value]);
      } else {
        opts.push([def[0], eq >= 0 ? arg.slice(eq + 1) : undefined]);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // Bundled short options: -qG, -v5, -pdb
      for (let j = 1; j < arg.length; j++) {
        const flag = `-${arg[j]}`;
        const def = spec[flag];
        if (!def) return { opts, error: `${tool}: unknown option '${flag}'` };
        if (def[1] === false) {
          opts.push([def[0], undefined]);
          continue;
        }
        const attached = arg.slice(j + 1);
        if (def[1] === 'optional') {
          opts.push([def[0], attached === '' ? undefined : attached]);
        } else {
          const value = attached !== '' ? attached : argv[++i];
          if (value === undefined) return { opts, error: `${tool}: option '${flag}' needs a value` };
          opts.push([def[0], value]);
        }
        break;
      }
      continue;
    }
    return { opts, error: `${tool}: unexpected argument '${arg}'` };
  }
  return { opts };
}

const ATTRIBUTE_OPTS: OptSpec = {
  '-n': ['name', true], '--name': ['name', true], '--attr-name': ['name', true],
  '-p': ['promotion', 'optional'], '--promotion': ['promotion', 'optional'],
  '-G': ['query', false], '--query': ['query', false], '--get-value': ['query', false],
  '-v': ['update', true], '--update': ['update', true], '--attr-value': ['update', true],
  '-D': ['delete', false], '--delete': ['delete', false], '--delete-attr': ['delete', false],
  '-l': ['lifetime', true], '--lifetime': ['lifetime', true],
  '-N': ['node', true], '--node': ['node', true], '-U': ['node', true], '--uname': ['node', true],
  '-t': ['type', true], '--type': ['type', true],
  '-d': ['default', true], '--default': ['default', true],
  '-q': ['quiet', false], '--quiet': ['quiet', false], '-Q': ['quiet', false],
  '-V': ['verbose', false], '--verbose': ['verbose', false],
  '-i': ['id', true], '--id': ['id', true], '--attr-id': ['id', true],
  '-s': ['set', true], '--set-name': ['set', true],
  '-z': ['utilization', false], '--utilization': ['utilization', false],
  '-P': ['pattern', true], '--pattern': ['pattern', true],
  '-$': ['version', false], '--version': ['version', false],
  '-h': ['help', false], '--help': ['help', false],
};

/**
 * The promotion score attribute. Instances of an anonymous clone are
 * interchangeable, so their score is kept under the clone's resource name
 * without the instance number (as Pacemaker does); unique clones keep it.
 */
export function promotionAttributeName(resource: string, env: Readonly<Record<string, string | undefined>> = {}): string {
  const unique = (env['OCF_RESKEY_CRM_meta_globally_unique'] ?? 'false').toLowerCase() === 'true';
  return `master-${unique ? resource : resource.replace(/:\d+$/, '')}`;
}

function lifetimeOf(value: string): AttributeLifetime | undefined {
  if (value === 'reboot') return 'reboot';
  if (value === 'forever' || value === 'permanent') return 'forever';
  return undefined;
}

const usage = (msg: string): HelperResult => ({ code: EX_USAGE, stdout: '', stderr: `${msg}\n` });

async function crmAttribute(
  argv: readonly string[],
  ctx: HelperContext,
  defaults: { lifetime?: AttributeLifetime },
): Promise<HelperResult> {
  const parsed = getopt(argv, ATTRIBUTE_OPTS, 'crm_attribute');
  if (parsed.error) return usage(parsed.error);
  const o = new Map<string, string | undefined>();
  for (const [k, v] of parsed.opts) o.set(k, v);
  if (o.has('version')) return { code: EX_OK, stdout: 'Pacemaker 2.1.5 (vigil helper)\n', stderr: '' };
  if (o.has('help')) return { code: EX_OK, stdout: 'crm_attribute -n NAME (-G|-v VALUE|-D) [-N NODE] [-l reboot|forever] [-p [RSC]] [-q]\n', stderr: '' };
  if (o.has('utilization') || o.has('pattern')) {
    return { code: EX_UNIMPLEMENTED, stdout: '', stderr: 'crm_attribute: --utilization and --pattern are not supported by Vigil\n' };
  }

  let name = o.get('name');
  let lifetime: AttributeLifetime | undefined = defaults.lifetime;
  if (o.has('promotion')) {
    const rsc = o.get('promotion') || ctx.env['OCF_RESOURCE_INSTANCE'];
    if (!rsc) return usage('crm_attribute: --promotion needs a resource (none given and OCF_RESOURCE_INSTANCE unset)');
    name = promotionAttributeName(rsc, ctx.env);
    lifetime = 'reboot';
  }
  const type = o.get('type');
  if (o.has('lifetime')) {
    lifetime = lifetimeOf(o.get('lifetime')!);
    if (!lifetime) return usage(`crm_attribute: lifetime '${o.get('lifetime')}' is not reboot or forever`);
  } else if (type === 'status') lifetime = 'reboot';
  else if (type === 'nodes') lifetime = 'forever';

  const isNodeAttribute = lifetime !== undefined || o.has('node') || type === 'nodes' || type === 'status';
  const commands = ['query', 'update', 'delete'].filter((c) => o.has(c));
  if (commands.length > 1) return usage('crm_attribute: give only one of --query, --update, --delete');
  const command = commands[0] ?? 'query';
  const quiet = o.has('quiet');

  if (!isNodeAttribute) {
    // A cluster option (crm_config and friends): agents only ever read these.
    if (!name) return usage('crm_attribute: --name is required');
    if (command !== 'query') {
      return { code: EX_UNIMPLEMENTED, stdout: '', stderr: `crm_attribute: changing cluster option '${name}' from an agent is not supported by Vigil\n` };
    }
    const value = (await ctx.store.getClusterOption?.(name)) ?? o.get('default');
    return queryOutput(type ?? 'crm_config', name, value, quiet);
  }

  if (!name) return usage('crm_attribute: --name (or --promotion) is required');
  const node = o.get('node') ?? ctx.localNode;
  const life: AttributeLifetime = lifetime ?? 'forever';
  const scope = life === 'reboot' ? 'status' : 'nodes';
  switch (command) {
    case 'update':
      await ctx.store.set(node, name, o.get('update')!, life);
      return { code: EX_OK, stdout: '', stderr: '' };
    case 'delete':
      await ctx.store.delete(node, name, life);
      return { code: EX_OK, stdout: '', stderr: '' };
    default: {
      const value = (await ctx.store.get(node, name, life)) ?? o.get('default');
      return queryOutput(scope, name, value, quiet);
    }
  }
}

function queryOutput(scope: string, name: string, value: string | undefined, quiet: boolean): HelperResult {
  if (value === undefined) {
    return { code: EX_NOSUCH, stdout: '', stderr: 'Error performing operation: No such device or address\n' };
  }
  return { code: EX_OK, stdout: quiet ? `${value}\n` : `scope=${scope}  name=${name} value=${value}\n`, stderr: '' };
}

const MASTER_OPTS: OptSpec = {
  '-V': ['verbose', false], '--verbose': ['verbose', false],
  '-q': ['quiet', false], '--quiet': ['quiet', false], '-Q': ['quiet', false],
  '-G': ['query', false], '--query': ['query', false], '--get-value': ['query', false],
  '-D': ['delete', false], '--delete': ['delete', false], '--delete-attr': ['delete', false],
  '-v': ['update', true], '--update': ['update', true], '--attr-value': ['update', true],
  '-N': ['node', true], '--node': ['node', true], '-U': ['node', true], '--uname': ['node', true],
  '-l': ['lifetime', true], '--lifetime': ['lifetime', true],
  '-i': ['id', true], '--id': ['id', true], '--attr-id': ['id', true],
  '-r': ['resource', true], '--resource': ['resource', true],
  '--help': ['help', false], '--version': ['version', false],
};

const OPTION_FLAG: Record<string, string> = {
  verbose: '-V', quiet: '-q', query: '-G', delete: '-D', update: '-v', node: '-N', lifetime: '-l', id: '-i', version: '--version',
};

/** crm_master = crm_attribute on master-<resource>, lifetime forever unless told otherwise. */
async function crmMaster(argv: readonly string[], ctx: HelperContext): Promise<HelperResult> {
  const parsed = getopt(argv, MASTER_OPTS, 'crm_master');
  if (parsed.error) return usage(parsed.error);
  if (parsed.opts.some(([k]) => k === 'help')) {
    return { code: EX_OK, stdout: 'crm_master - Query, update, or delete a resource\'s promotion score\n', stderr: '' };
  }
  let resource = ctx.env['OCF_RESOURCE_INSTANCE'];
  const forwarded: string[] = ['--lifetime', 'forever'];
  for (const [key, value] of parsed.opts) {
    if (key === 'resource') {
      resource = value;
      continue;
    }
    forwarded.push(OPTION_FLAG[key]!);
    if (value !== undefined) forwarded.push(value);
  }
  if (!resource) return { code: EX_ERROR, stdout: '', stderr: 'error: No resource specified\n' };
  return crmAttribute(['-n', promotionAttributeName(resource, ctx.env), ...forwarded], ctx, {});
}

const NODE_OPTS: OptSpec = {
  '-n': ['name', false], '--name': ['name', false],
  '-N': ['name-for-id', true], '--name-for-id': ['name-for-id', true],
  '-i': ['cluster-id', false], '--cluster-id': ['cluster-id', false],
  '-l': ['list', false], '--list': ['list', false],
  '-p': ['partition', false], '--partition': ['partition', false],
  '-q': ['quorum', false], '--quorum': ['quorum', false],
  '-Q': ['quiet', false], '--quiet': ['quiet', false],
  '-V': ['verbose', false], '--verbose': ['verbose', false],
  '-R': ['remove', true], '--remove': ['remove', true],
  '--version': ['version', false],
};

async function crmNode(argv: readonly string[], ctx: HelperContext): Promise<HelperResult> {
  const parsed = getopt(argv, NODE_OPTS, 'crm_node');
  if (parsed.error) return usage(parsed.error);
  const keys = new Map(parsed.opts);
  const ok = (stdout: string): HelperResult => ({ code: EX_OK, stdout, stderr: '' });
  if (keys.has('version')) return ok('Pacemaker 2.1.5 (vigil helper)\n');
  if (keys.has('remove')) {
    return { code: EX_UNIMPLEMENTED, stdout: '', stderr: 'crm_node: --remove is not available to agents\n' };
  }
  if (keys.has('name')) return ok(`${ctx.localNode}\n`);
  if (keys.has('cluster-id')) return ok(`${ctx.localNodeId}\n`);
  if (keys.has('name-for-id')) {
    const id = keys.get('name-for-id')!;
    const found = ctx.cluster.members().find((m) => m.id === id) ?? (id === ctx.localNodeId ? { name: ctx.localNode } : undefined);
    if (!found) return { code: EX_NOSUCH, stdout: '', stderr: `crm_node: no node with id ${id}\n` };
    return ok(`${found.name}\n`);
  }
  if (keys.has('quorum')) return ok(ctx.cluster.hasQuorum() ? '1\n' : '0\n');
  if (keys.has('partition')) {
    return ok(`${ctx.cluster.members().filter((m) => m.member).map((m) => m.name).join(' ')}\n`);
  }
  if (keys.has('list')) {
    const lines = ctx.cluster.members().map((m) => `${m.id} ${m.name} ${m.member ? 'member' : 'lost'}\n`);
    return ok(lines.join(''));
  }
  return usage('crm_node: give one of -n, -i, -N ID, -l, -p, -q');
}

const ATTRD_OPTS: OptSpec = {
  '-n': ['name', true], '--name': ['name', true],
  '-U': ['update', true], '--update': ['update', true], '-v': ['update', true],
  '-B': ['update', true], '--update-both': ['update', true],
  '-Y': ['update-delay', false], '--update-delay': ['update-delay', false],
  '-Q': ['query', false], '--query': ['query', false],
  '-D': ['delete', false], '--delete': ['delete', false],
  '-R': ['refresh', false], '--refresh': ['refresh', false],
  '-d': ['delay', true], '--delay': ['delay', true],
  '-N': ['node', true], '--node': ['node', true],
  '-A': ['all', false], '--all': ['all', false],
  '-p': ['private', false], '--private': ['private', false],
  '-s': ['set', true], '--set': ['set', true],
  '-l': ['lifetime', true], '--lifetime': ['lifetime', true],
  '-z': ['utilization', false], '--utilization': ['utilization', false],
  '-q': ['quiet', false], '--quiet': ['quiet', false],
  '-V': ['verbose', false], '--verbose': ['verbose', false],
  '--version': ['version', false],
};

/**
 * attrd_updater: transient (reboot-lifetime) node attributes, used by
 * ocf:pacemaker:ping, attribute, Health*, ethmonitor, mariadb, pgsql.
 * Dampening (-d) is accepted and not applied: the store has no write delay,
 * so a value lands at once.
 */
async function attrdUpdater(argv: readonly string[], ctx: HelperContext): Promise<HelperResult> {
  const parsed = getopt(argv, ATTRD_OPTS, 'attrd_updater');
  if (parsed.error) return usage(parsed.error);
  const o = new Map(parsed.opts);
  if (o.has('version')) return { code: EX_OK, stdout: 'Pacemaker 2.1.5 (vigil helper)\n', stderr: '' };
  if (o.has('utilization')) {
    return { code: EX_UNIMPLEMENTED, stdout: '', stderr: 'attrd_updater: --utilization is not supported by Vigil\n' };
  }
  if (o.has('refresh')) return { code: EX_OK, stdout: '', stderr: '' };
  const name = o.get('name');
  if (!name) return usage('attrd_updater: --name is required');
  const node = o.get('node') ?? ctx.localNode;
  if (o.has('query')) {
    const nodes = o.has('all') ? ctx.cluster.members().map((m) => m.name) : [node];
    const lines: string[] = [];
    for (const n of nodes) {
      const value = await ctx.store.get(n, name, 'reboot');
      if (value !== undefined) lines.push(o.has('quiet') ? `${value}\n` : `name="${name}" host="${n}" value="${value}"\n`);
    }
    if (lines.length === 0) {
      return { code: EX_NOSUCH, stdout: '', stderr: `Could not query value of ${name}: attribute does not exist\n` };
    }
    return { code: EX_OK, stdout: lines.join(''), stderr: '' };
  }
  if (o.has('delete')) {
    await ctx.store.delete(node, name, 'reboot');
    return { code: EX_OK, stdout: '', stderr: '' };
  }
  if (o.has('update')) {
    await ctx.store.set(node, name, o.get('update')!, 'reboot');
    return { code: EX_OK, stdout: '', stderr: '' };
  }
  if (o.has('update-delay')) return { code: EX_OK, stdout: '', stderr: '' };
  return usage('attrd_updater: give one of -U VALUE, -B VALUE, -Q, -D, -R');
}
