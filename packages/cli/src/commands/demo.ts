import type { Command } from 'commander';
import { LocalCluster, demoCib, freePorts, until, type LogEvent } from '../testing/local-cluster.js';

/**
 * `vigil demo`: a three-node cluster on loopback (three daemon processes in
 * a temporary directory), a web group (an address stand-in and an HTTP
 * server) and a promotable clone; then the node running the group is
 * killed with SIGKILL and the recovery is shown as a timeline.
 */
export interface DemoTimeline {
  readonly victim: string;
  readonly killedAt: number;
  readonly detectedMs?: number;
  readonly fencedMs?: number;
  readonly recoveredMs?: number;
  readonly servingMs?: number;
  readonly newNode?: string;
}

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

async function httpAnswers(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) });
    return res.ok ? (await res.text()).trim() : undefined;
  } catch {
    return undefined;
  }
}

/** Bring the demo cluster up and configured, with the web group running. */
export async function startDemoCluster(opts: { log?: (l: string) => void } = {}): Promise<{ cluster: LocalCluster; httpPort: number }> {
  const log = opts.log ?? (() => undefined);
  const cluster = await LocalCluster.start({ nodes: 3 });
  try {
    const [httpPort] = await freePorts(1);
    log(`cluster of ${cluster.nodes.map((n) => `${n.name} (127.0.0.1:${n.port})`).join(', ')} in ${cluster.dir}`);
    await cluster.configure(demoCib(cluster, { httpPort: httpPort! }));
    await until(
      'the web group and a promoted db',
      async () => {
        const st = await cluster.status();
        const web = LocalCluster.nodesOf(st, 'http');
        const promoted = LocalCluster.nodesOf(st, 'db', 'Promoted');
        return web.length === 1 && promoted.length === 1 && (await httpAnswers(httpPort!)) !== undefined ? true : undefined;
      },
      60_000,
      100,
    );
    return { cluster, httpPort: httpPort! };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** SIGKILL the node running the web group and time detection, fencing and recovery from the survivors' logs. */
export async function killAndRecover(cluster: LocalCluster, httpPort: number): Promise<DemoTimeline> {
  const before = await cluster.status();
  const victim = LocalCluster.nodesOf(before, 'http')[0];
  if (!victim) throw new Error('the web group is not running anywhere');
  const survivors = cluster.nodes.filter((n) => n.name !== victim).map((n) => n.name);
  const killedAt = Date.now();
  await cluster.kill(victim, 'SIGKILL');
  let servingAt: number | undefined;
  const recovered = await until(
    'the web group on a survivor',
    async () => {
      const st = await cluster.status(survivors[0]).catch(() => cluster.status(survivors[1]));
      const where = LocalCluster.nodesOf(st, 'http').filter((n) => n !== victim);
      if (where.length !== 1) return undefined;
      if ((await httpAnswers(httpPort)) === undefined) return undefined;
      servingAt ??= Date.now();
      return where[0];
    },
    60_000,
    20,
  );
  const after = (events: LogEvent[], pred: (e: LogEvent) => boolean): number | undefined => {
    const e = events.find((x) => x.time >= killedAt && pred(x));
    return e ? e.time - killedAt : undefined;
  };
  const events = survivors.flatMap((s) => cluster.events(s)).sort((a, b) => a.time - b.time);
  const detectedMs = after(events, (e) => e.msg === 'membership' && Array.isArray(e['members']) && !(e['members'] as string[]).includes(victim));
  const fencedMs = after(events, (e) => e.msg === 'fencing' && e['target'] === victim && e['ok'] === true);
  const recoveredMs = after(events, (e) => e.msg === 'resource result' && e['resource'] === 'http' && e['task'] === 'start' && e['rc'] === 0);
  return {
    victim,
    killedAt,
    newNode: recovered,
    ...(detectedMs !== undefined ? { detectedMs } : {}),
    ...(fencedMs !== undefined ? { fencedMs } : {}),
    ...(recoveredMs !== undefined ? { recoveredMs } : {}),
    ...(servingAt !== undefined ? { servingMs: servingAt - killedAt } : {}),
  };
}

export function registerDemoCommands(program: Command): void {
  program
    .command('demo')
    .description('Start a three-node cluster on loopback, kill the node running a web group, and show the failover')
    .option('--keep', 'leave the cluster running (and its directory) until Ctrl-C')
    .action(async (opts: { keep?: boolean }) => {
      let cluster: LocalCluster | undefined;
      const cleanup = async (): Promise<void> => {
        await cluster?.stop();
      };
      process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
      try {
        out('Starting three vigil daemons on loopback...');
        const started = await startDemoCluster({ log: (l) => out(`  ${l}`) });
        cluster = started.cluster;
        out();
        out('Configured: group web (vip: address stand-in, http: HTTP server on');
        out(`127.0.0.1:${started.httpPort}) and promotable clone db-clone; fencing by process kill.`);
        out();
        out(await cluster.statusText());
        const t = await killAndRecover(cluster, started.httpPort);
        const ms = (v: number | undefined): string => (v === undefined ? '   (not seen)' : `${String(v).padStart(6)} ms`);
        out(`Killed ${t.victim} (the node running web) with SIGKILL. Timeline:`);
        out(`  ${ms(0)}  ${t.victim} killed`);
        out(`  ${ms(t.detectedMs)}  detected: ${t.victim} left the membership`);
        out(`  ${ms(t.fencedMs)}  fenced: ${t.victim} confirmed down by its fence device`);
        out(`  ${ms(t.recoveredMs)}  recovered: web started on ${t.newNode}`);
        out(`  ${ms(t.servingMs)}  serving: http://127.0.0.1:${started.httpPort}/ answers again`);
        out();
        out('Final status:');
        out(await cluster.statusText(t.newNode));
        if (opts.keep) {
          out(`Cluster left running in ${cluster.dir} (config ${cluster.configFile}); Ctrl-C stops it.`);
          await new Promise(() => undefined);
        }
      } catch (err) {
        process.stderr.write(`vigil: demo failed: ${(err as Error).message}\n`);
        process.exitCode = 1;
      } finally {
        if (!opts.keep) await cleanup();
      }
    });
}
