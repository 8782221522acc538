import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  AgentExecutor,
  MemoryAttributeStore,
  OpStatus,
  RaError,
  opStatusName,
  parseAgentSpec,
  parseDurationMs,
  rcName,
  suggestedTimeoutMs,
  type AgentSpec,
  type ExecutorOptions,
} from '@vigil/ra';

interface CommonOpts {
  ocfRoot?: string;
  lsbDir?: string;
  stateDir?: string;
  node?: string;
}

// Agents keep state between calls (Dummy's state file, pid files), so one
// `exec start` and a later `exec monitor` must share the directory.
function defaultStateDir(): string {
  let user = 'user';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry: fall back to a generic name.
  }
  return join(tmpdir(), `vigil-agent-${user}`);
}

function executorOptions(opts: CommonOpts, extra: Partial<ExecutorOptions> = {}): ExecutorOptions {
  return {
    nodeName: opts.node ?? hostname(),
    stateDir: opts.stateDir ?? defaultStateDir(),
    ...(opts.ocfRoot ? { ocfRoot: opts.ocfRoot } : {}),
    ...(opts.lsbDir ? { lsbDir: opts.lsbDir } : {}),
    ...extra,
  };
}

function fail(message: string, code: number): void {
  process.stderr.write(`vigil: ${message}\n`);
  process.exitCode = code;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function parsePairs(pairs: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new RaError('VIGIL_RA_BAD_OPTIONS', `${flag} '${pair}': expected NAME=VALUE`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--ocf-root <dir>', 'OCF root directory (default /usr/lib/ocf)')
    .option('--lsb-dir <dir>', 'directory of LSB init scripts (default /etc/init.d)')
    .option('--state-dir <dir>', 'directory for HA_VARRUN, HA_RSCTMP and helper commands')
    .option('--node <name>', 'node name agents see (default: host name)');
}

/** Operating errors become `vigil: message`; anything else is a bug and propagates. */
async function guarded(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (err instanceof RaError) fail(err.message, err.code === 'VIGIL_RA_BAD_METADATA' ? 65 : 64);
    else throw err;
  }
}

export function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('List, describe and run resource agents (OCF, LSB, service)');

  withCommonOptions(
    agent
      .command('list [filter]')
      .description('List installed agents, optionally of one CLASS or CLASS:PROVIDER (e.g. ocf:heartbeat)'),
  ).action((filter: string | undefined, opts: CommonOpts) =>
    guarded(async () => {
      const [cls, provider, extra] = (filter ?? '').split(':');
      if (extra !== undefined || (cls && !['ocf', 'lsb', 'service', 'native'].includes(cls))) {
        fail(`agent list: '${filter}' is not CLASS or CLASS:PROVIDER (classes: ocf, lsb, service)`, 64);
        return;
      }
      const ex = new AgentExecutor(executorOptions(opts, { helpers: false }));
      const names = await ex.listAgents(cls || undefined, provider || undefined);
      process.stdout.write(names.map((n) => `${n}\n`).join(''));
    }),
  );

  withCommonOptions(
    agent
      .command('meta-data <agent>')
      .description("Print an agent's meta-data XML (CLASS:PROVIDER:TYPE or CLASS:TYPE)")
      .option('--json', 'print the parsed meta-data as JSON'),
  ).action((name: string, opts: CommonOpts & { json?: boolean }) =>
    guarded(async () => {
      const spec = parseAgentSpec(name);
      const ex = new AgentExecutor(executorOptions(opts, { helpers: false }));
      await ex.start();
      try {
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(await ex.metadata(spec), null, 2)}\n`);
          return;
        }
        const r = await ex.run({ resourceId: spec.type, agent: spec, action: 'meta-data', timeoutMs: 30_000 });
        if (r.opStatus !== OpStatus.DONE || r.rc !== 0) {
          fail(`${name}: meta-data failed: ${r.exitReason ?? `rc ${r.rc} (${rcName(r.rc)})`}`, r.rc || 1);
          return;
        }
        await ex.metadata(spec); // refuse to print XML we could not use
        process.stdout.write(r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`);
      } finally {
        await ex.close();
      }
    }),
  );

  withCommonOptions(
    agent
      .command('exec <agent> <action>')
      .description('Run one action the way the cluster would; exits with the agent\'s rc')
      .option('-p, --param <name=value>', 'instance attribute (repeatable)', collect, [])
      .option('-m, --meta <name=value>', 'meta attribute, passed as OCF_RESKEY_CRM_meta_NAME (repeatable)', collect, [])
      .option('-r, --resource <id>', 'resource id (OCF_RESOURCE_INSTANCE); default: the agent type')
      .option('-i, --interval <duration>', 'operation interval, e.g. 10s (sets OCF_RESKEY_CRM_meta_interval)')
      .option('-t, --timeout <duration>', "timeout in seconds or with a unit (default: the agent's advice, else 20s)")
      .option('--no-validate', 'do not check parameters against the meta-data first'),
  ).action(
    (
      name: string,
      action: string,
      opts: CommonOpts & { param: string[]; meta: string[]; resource?: string; interval?: string; timeout?: string; validate: boolean },
    ) =>
      guarded(async () => {
        const spec: AgentSpec = parseAgentSpec(name);
        const params = parsePairs(opts.param, '--param');
        const meta = parsePairs(opts.meta, '--meta');
        const intervalMs = opts.interval !== undefined ? parseDurationMs(opts.interval, '--interval') : 0;
        const attributes = new MemoryAttributeStore();
        const changes: string[] = [];
        attributes.onChange((c) =>
          changes.push(`  ${c.name}${c.value === undefined ? ' deleted' : `=${c.value}`} (node ${c.node}, lifetime ${c.lifetime})`),
        );
        const ex = new AgentExecutor(executorOptions(opts, { attributes }));
        await ex.start();
        try {
          let timeoutMs = opts.timeout !== undefined ? parseDurationMs(opts.timeout, '--timeout') : undefined;
          if (timeoutMs === undefined && spec.class !== 'native') {
            const advice = await ex.metadata(spec).then(
              (m) => suggestedTimeoutMs(m, action, intervalMs),
              () => undefined, // not installed: run() reports it properly
            );
            timeoutMs = advice ?? 20_000;
          }
          const resourceId = opts.resource ?? spec.type;
          const r = await ex.run({
            resourceId,
            agent: spec,
            action,
            params,
            meta,
            intervalMs,
            ...(timeoutMs !== undefined ? { timeoutMs } : {}),
            validate: opts.validate,
          });
          if (r.stdout) process.stdout.write(r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`);
          if (r.stderr) process.stderr.write(r.stderr.endsWith('\n') ? r.stderr : `${r.stderr}\n`);
          const status = r.opStatus === OpStatus.DONE ? '' : `, status=${opStatusName(r.opStatus)}`;
          const reason = r.exitReason ? `, reason: ${r.exitReason}` : '';
          process.stderr.write(
            `${name} ${action} (resource ${resourceId}): rc=${r.rc} (${rcName(r.rc)})${status}${reason}, ${r.execTimeMs} ms\n`,
          );
          if (changes.length > 0) process.stderr.write(`node attributes changed by the agent:\n${changes.join('\n')}\n`);
          process.exitCode = r.rc;
        } finally {
          await ex.close();
        }
      }),
  );
}
