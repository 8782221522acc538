import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { applyPatch, parseCib, parseXml, patchFromXml, serializeCib } from '@vigil/cib';
import { loadClusterConfig, readApiToken, type ClusterConfig } from '@vigil/crm';
import { statusOfCibFile, StatusFileError } from './status.js';

/**
 * Commands that talk to a running daemon over its HTTP API: status, CIB,
 * properties, resources, nodes, attributes. `--config` names the cluster
 * configuration (for the API addresses and token); `--node` picks which
 * daemon to ask, otherwise the first that answers.
 */
export const DEFAULT_CONFIG = '/etc/vigil/cluster.json';

interface ClientOpts {
  config?: string;
  node?: string;
}

export class ClientError extends Error {}

export interface ApiClient {
  readonly node: string;
  request(method: string, path: string, opts?: { body?: string | object; headers?: Record<string, string> }): Promise<Response>;
}

async function connect(opts: ClientOpts): Promise<ApiClient> {
  let config: ClusterConfig;
  try {
    config = loadClusterConfig(opts.config ?? DEFAULT_CONFIG);
  } catch (err) {
    throw new ClientError((err as Error).message);
  }
  const token = readApiToken(config);
  const candidates = opts.node ? config.nodes.filter((n) => n.name === opts.node) : config.nodes;
  if (candidates.length === 0) throw new ClientError(`${config.source}: no node named '${opts.node}' (nodes: ${config.nodes.map((n) => n.name).join(', ')})`);
  const errors: string[] = [];
  for (const n of candidates) {
    const base = `http://${n.api.host.includes(':') ? `[${n.api.host}]` : n.api.host}:${n.api.port}`;
    const client: ApiClient = {
      node: n.name,
      request: (method, path, o = {}) => {
        const isJson = o.body !== undefined && typeof o.body !== 'string';
        return fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(o.body !== undefined ? { 'content-type': isJson ? 'application/json' : 'application/xml' } : {}),
            ...(o.headers ?? {}),
          },
          ...(o.body !== undefined ? { body: isJson ? JSON.stringify(o.body) : (o.body as string) } : {}),
          signal: AbortSignal.timeout(30_000),
        });
      },
    };
    try {
      const res = await fetch(`${base}/health/live`, { signal: AbortSignal.timeout(2_000) });
      if (res.status < 500) return client;
      errors.push(`${n.name}: HTTP ${res.status}`);
    } catch (err) {
      errors.push(`${n.name} (${base}): ${(err as Error).message}`);
    }
  }
  throw new ClientError(`no Vigil daemon answered: ${errors.join('; ')}`);
}

/** Print a response; a non-2xx one becomes the error message the API gave. */
async function finish(res: Response, print: (body: string) => void = (b) => process.stdout.write(b.endsWith('\n') ? b : `${b}\n`)): Promise<void> {
  const text = await res.text();
  if (res.ok) {
    print(text);
    return;
  }
  let message = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string; code?: string }; message?: string; code?: string };
    const body = parsed.error ?? parsed;
    message = body.message ? `${body.message}${body.code ? ` (${body.code})` : ''}` : text;
  } catch {
    /* not JSON */
  }
  throw new ClientError(`${res.status}: ${message}`);
}

function run(fn: (opts: ClientOpts & Record<string, unknown>, ...args: string[]) => Promise<void>) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.optsWithGlobals() as ClientOpts & Record<string, unknown>;
    try {
      await fn(opts, ...(args.slice(0, -2) as string[]));
    } catch (err) {
      process.stderr.write(`vigil: ${(err as Error).message}\n`);
      process.exitCode = err instanceof ClientError ? 1 : 70;
    }
  };
}

function withTarget(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'cluster configuration', process.env['VIGIL_CONFIG'] ?? DEFAULT_CONFIG)
    .option('--node <name>', 'talk to this node\'s daemon (default: the first that answers)');
}

export function registerClientCommands(program: Command): void {
  withTarget(program.command('status'))
    .description('Show nodes, quorum, DC, resources, failed actions and fail counts (like crm_mon)')
    .option('--output <format>', 'text, json or xml', 'text')
    .option('--watch', 'refresh every 2 seconds until interrupted')
    .option('--cib <file>', 'show a CIB file instead of asking a running daemon')
    .action(
      run(async (opts) => {
        const format = String(opts['output'] ?? 'text');
        if (!['text', 'json', 'xml'].includes(format)) throw new ClientError(`--output: '${format}' is not text, json or xml`);
        if (opts['cib'] !== undefined) {
          try {
            process.stdout.write(statusOfCibFile(String(opts['cib']), format, Math.floor(Date.now() / 1000)));
          } catch (err) {
            if (err instanceof StatusFileError) throw new ClientError(err.message);
            throw err;
          }
          return;
        }
        const client = await connect(opts);
        const once = async (): Promise<void> => finish(await client.request('GET', `/status?output=${format}`));
        if (!opts['watch']) return once();
        for (;;) {
          process.stdout.write('\x1b[2J\x1b[H');
          await once();
          await new Promise((r) => setTimeout(r, 2_000));
        }
      }),
    );

  const cib = program.command('cib').description('Read or change the CIB');
  withTarget(cib.command('get')).description('Print the CIB as XML').action(
    run(async (opts) => finish(await (await connect(opts)).request('GET', '/cib'))),
  );
  withTarget(cib.command('replace <file>'))
    .description('Replace the configuration with FILE (the live status is kept), as cibadmin --replace')
    .option('--expect-epoch <n>', 'refuse unless the CIB is still at this epoch')
    .action(
      run(async (opts, file) => {
        const text = readText(file!);
        parseCib(text, { source: file!, strict: true });
        const client = await connect(opts);
        const headers: Record<string, string> = {};
        if (opts['expectEpoch'] !== undefined) {
          const want = Number(opts['expectEpoch']);
          if (!Number.isInteger(want)) throw new ClientError(`--expect-epoch: '${String(opts['expectEpoch'])}' is not a number`);
          const cur = await client.request('GET', '/cib');
          const tag = cur.headers.get('etag') ?? '';
          const epoch = Number(/"?\d+\.(\d+)\.\d+"?/.exec(tag)?.[1]);
          if (epoch !== want) throw new ClientError(`409: the CIB is at epoch ${epoch}, not ${want}; nothing was applied`);
          headers['if-match'] = tag;
        }
        await finish(await client.request('PUT', '/cib', { body: text, headers }));
      }),
    );
  withTarget(cib.command('patch <file>'))
    .description('Apply a Pacemaker XML patch (<diff format="2">) to the live CIB, whole or not at all')
    .action(
      run(async (opts, file) => {
        const patch = patchFromXml(parseXml(readText(file!), file!));
        const client = await connect(opts);
        const cur = await client.request('GET', '/cib');
        const tag = cur.headers.get('etag') ?? '';
        const live = parseCib(await cur.text(), { source: 'live CIB' });
        const next = applyPatch(live, patch);
        await finish(await client.request('PUT', '/cib', { body: serializeCib(next), headers: { 'if-match': tag } }));
      }),
    );

  withTarget(program.command('property').command('set <name> <value>'))
    .description('Set a cluster property (cib-bootstrap-options)')
    .action(
      run(async (opts, name, value) =>
        finish(await (await connect(opts)).request('PUT', `/cib/properties/${encodeURIComponent(name!)}`, { body: { value } }), (b) =>
          process.stdout.write(`${name}=${value} (CIB ${versionText(b)})\n`),
        ),
      ),
    );

  const resource = program.command('resource').description('Start, stop, move, ban, clear, clean up and promote resources');
  for (const action of ['start', 'stop', 'restart', 'move', 'ban', 'clear', 'cleanup', 'promote-on']) {
    withTarget(resource.command(`${action} <id> [node]`))
      .description(RESOURCE_HELP[action]!)
      .action(
        run(async (opts, id, node) => {
          if ((action === 'move' || action === 'promote-on') && !node) throw new ClientError(`resource ${action}: name the node to ${action === 'move' ? 'move to' : 'promote on'}`);
          const res = await (await connect(opts)).request('POST', `/resources/${encodeURIComponent(id!)}/${action}`, { body: node ? { node } : {} });
          await finish(res, (b) => process.stdout.write(`${(JSON.parse(b) as { message: string }).message}\n`));
        }),
      );
  }

  const node = program.command('node').description('Put nodes in standby or maintenance, or bring them back');
  for (const action of ['standby', 'online', 'maintenance', 'ready']) {
    withTarget(node.command(`${action} <name>`))
      .description(NODE_HELP[action]!)
      .action(
        run(async (opts, name) => {
          const res = await (await connect(opts)).request('POST', `/nodes/${encodeURIComponent(name!)}/${action}`, { body: {} });
          await finish(res, (b) => process.stdout.write(`${(JSON.parse(b) as { message: string }).message}\n`));
        }),
      );
  }

  withTarget(program.command('attribute <node> <name> [value]'))
    .description('Set (or with --delete remove) a node attribute')
    .option('--delete', 'remove the attribute')
    .action(
      run(async (opts, n, name, value) => {
        const client = await connect(opts);
        const path = `/nodes/${encodeURIComponent(n!)}/attributes/${encodeURIComponent(name!)}`;
        if (opts['delete']) return finish(await client.request('DELETE', path), (b) => process.stdout.write(`removed ${name} on ${n} (CIB ${versionText(b)})\n`));
        if (value === undefined) throw new ClientError('attribute: give a value, or --delete');
        return finish(await client.request('PUT', path, { body: { value } }), (b) => process.stdout.write(`${name}=${value} on ${n} (CIB ${versionText(b)})\n`));
      }),
    );
}

/** The fencer runs on the DC: find it through any node, then ask it. */
async function connectDc(opts: ClientOpts): Promise<ApiClient> {
  const any = await connect(opts);
  const res = await any.request('GET', '/status?output=json');
  if (!res.ok) throw new ClientError(`cannot read the status from ${any.node}: HTTP ${res.status}`);
  const dc = ((await res.json()) as { summary?: { dc?: { name: string } | null } }).summary?.dc?.name;
  if (!dc) throw new ClientError('there is no DC right now (no quorum?): nothing can be fenced');
  return dc === any.node ? any : connect({ ...opts, node: dc });
}

export function registerFenceCommands(program: Command): void {
  withTarget(program.command('fence <node-or-verb> [node]'))
    .description('fence NODE: power a node off now; fence history: what the fencer did; fence confirm NODE: record that NODE is down (you checked)')
    .option('--off', 'power off and leave off')
    .option('--reboot', 'power cycle (the default)')
    .action(
      run(async (opts, first, second) => {
        if (opts['off'] && opts['reboot']) throw new ClientError('fence: --off and --reboot exclude each other');
        const client = await connectDc(opts);
        if (first === 'history') {
          const res = await client.request('GET', '/fencing/history');
          return finish(res, (b) => {
            const entries = JSON.parse(b) as { target: string; action: string; state: string; origins?: string[]; devices?: string[]; confirmedBy?: string; reason?: string; startedAt?: number; completedAt?: number }[];
            if (entries.length === 0) process.stdout.write('no fencing so far\n');
            for (const e of entries) {
              const when = new Date(e.completedAt ?? e.startedAt ?? 0).toISOString();
              process.stdout.write(`${when}  ${e.action} of ${e.target}: ${e.state}${e.confirmedBy ? ` (confirmed by ${e.confirmedBy})` : ''}${e.devices?.length ? ` via ${e.devices.join(', ')}` : ''}${e.origins?.length ? `, asked by ${e.origins.join(', ')}` : ''}${e.reason ? ` - ${e.reason}` : ''}\n`);
            }
          });
        }
        if (first === 'confirm') {
          if (!second) throw new ClientError('fence confirm: name the node you have checked is down');
          const res = await client.request('POST', `/fencing/${encodeURIComponent(second)}/confirm`, { body: {} });
          return finish(res, (b) => process.stdout.write(`${(JSON.parse(b) as { message: string }).message}\n`));
        }
        if (second) throw new ClientError(`fence: unexpected '${second}' (use: fence NODE, fence history, fence confirm NODE)`);
        const res = await client.request('POST', `/fencing/${encodeURIComponent(first!)}`, { body: { action: opts['off'] ? 'off' : 'reboot' } });
        const text = await res.text();
        if (res.status === 502) {
          process.stderr.write(`vigil: ${(JSON.parse(text) as { message: string }).message}\n`);
          process.exitCode = 1;
          return;
        }
        return finish(new Response(text, { status: res.status }), (b) => process.stdout.write(`${(JSON.parse(b) as { message: string }).message}\n`));
      }),
    );
}

const RESOURCE_HELP: Record<string, string> = {
  start: 'Let the resource run (target-role=Started)',
  stop: 'Stop the resource and keep it stopped (target-role=Stopped)',
  restart: 'Stop and start the resource where it runs',
  move: 'Move the resource to NODE (adds a cli-prefer constraint until cleared)',
  ban: 'Keep the resource off NODE (default: where it runs now)',
  clear: 'Remove the constraints move and ban added',
  cleanup: 'Forget failures and operation history so the resource is probed afresh',
  'promote-on': 'Promote the promotable resource on NODE (for a switchover)',
};

const NODE_HELP: Record<string, string> = {
  standby: 'Move resources away and keep the node from running any',
  online: 'End standby',
  maintenance: 'Stop managing the resources on the node (they keep running)',
  ready: 'End maintenance',
};

/** "0.4.1" from an API answer carrying cibVersion. */
function versionText(body: string): string {
  try {
    const v = (JSON.parse(body) as { cibVersion?: { adminEpoch: number; epoch: number; numUpdates: number } }).cibVersion;
    return v ? `${v.adminEpoch}.${v.epoch}.${v.numUpdates}` : 'unchanged';
  } catch {
    return 'unknown version';
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ClientError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

export { connect };
