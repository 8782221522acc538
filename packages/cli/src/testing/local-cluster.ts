import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initCluster, loadClusterConfig, readApiToken, type ClusterConfig } from '@vigil/crm';
import { allPrimitiveStatuses, type ClusterStatus } from '../status/index.js';

/**
 * Several `vigil daemon` processes on loopback, each with its own ports and
 * state directory: what `vigil demo`, the end-to-end tests and the failover
 * benchmark run. Everything it starts, it stops (also on failure), and every
 * wait has a deadline.
 */
const here = dirname(fileURLToPath(import.meta.url));
/** bin/vigil.js of this package, from src/testing or dist/testing. */
export const VIGIL_BIN = resolve(here, '../../bin/vigil.js');

export interface LocalNode {
  readonly name: string;
  readonly port: number;
  readonly stateDir: string;
  readonly logFile: string;
  proc: ChildProcess | null;
}

export interface LogEvent {
  readonly time: number;
  readonly level: string;
  readonly msg: string;
  readonly [key: string]: unknown;
}

async function portIsFree(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((ok) => {
    const s = createServer();
    s.once('error', () => ok(false));
    s.listen(port, '127.0.0.1', () => s.close(() => ok(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((ok) => {
    const u = createSocket('udp4');
    u.once('error', () => ok(false));
    u.bind(port, '127.0.0.1', () => u.close(() => ok(true)));
  });
}

/** Ports free for both TCP (the API) and UDP (heartbeats) on 127.0.0.1. */
export async function freePorts(count: number): Promise<number[]> {
  const out: number[] = [];
  for (let attempt = 0; out.length < count && attempt < 200; attempt++) {
    const candidate = await new Promise<number>((ok) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => ok(p));
      });
    });
    if (!out.includes(candidate) && (await portIsFree(candidate))) out.push(candidate);
  }
  if (out.length < count) throw new Error(`could not find ${count} free loopback ports`);
  return out;
}

export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface LocalClusterOptions {
  readonly nodes?: number;
  readonly dir?: string;
  readonly keep?: boolean;
}

export class LocalCluster {
  private constructor(
    readonly dir: string,
    readonly config: ClusterConfig,
    readonly token: string,
    readonly nodes: LocalNode[],
    private readonly keep: boolean,
  ) {}

  static async start(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
    const count = opts.nodes ?? 3;
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'vigil-cluster-'));
    const ports = await freePorts(count);
    const spec = ports.map((p, i) => `n${i + 1}=127.0.0.1:${p}`).join(',');
    await initCluster(dir, 'local', spec, { force: true });
    const config = loadClusterConfig(join(dir, 'cluster.json'));
    const nodes = config.nodes.map((n, i) => ({
      name: n.name,
      port: ports[i]!,
      stateDir: join(dir, n.name),
      logFile: join(dir, `${n.name}.log`),
      proc: null,
    }));
    const cluster = new LocalCluster(dir, config, readApiToken(config), nodes, opts.keep ?? false);
    try {
      for (const n of nodes) cluster.startNode(n.name);
      await cluster.waitForDc(30_000);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get configFile(): string {
    return join(this.dir, 'cluster.json');
  }

  node(name: string): LocalNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  startNode(name: string): void {
    const n = this.node(name);
    if (n.proc) throw new Error(`${name} is already running`);
    const log = createWriteStream(n.logFile, { flags: 'a' });
    const proc = spawn(process.execPath, [VIGIL_BIN, 'daemon', '--config', this.configFile, '--node', name, '--state-dir', n.stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
    proc.once('exit', () => {
      if (n.proc === proc) n.proc = null;
    });
    n.proc = proc;
  }

  /** Kill a node's daemon (SIGKILL: a crash; SIGTERM: a clean shutdown) and wait until it is gone. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 90_000): Promise<void> {
    const n = this.node(name);
    const proc = n.proc;
    if (!proc) return;
    const exited = new Promise<void>((ok) => proc.once('exit', () => ok()));
    proc.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([exited, new Promise((_, fail) => (timer = setTimeout(() => fail(new Error(`${name} did not exit after ${signal}`)), timeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every daemon's JSON log events, oldest first. */
  events(name: string): LogEvent[] {
    const file = this.node(name).logFile;
    if (!existsSync(file)) return [];
    const out: LogEvent[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const e = JSON.parse(line) as { time: string };
        out.push({ ...e, time: Date.parse(e.time) } as LogEvent);
      } catch {
        /* a line cut by a crash */
      }
    }
    return out;
  }

  async request(method: string, path: string, opts: { node?: string; body?: string | object; token?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const live = opts.node ? [this.node(opts.node)] : this.nodes.filter((n) => n.proc);
    let lastError: unknown;
    for (const n of live) {
      const isJson = opts.body !== undefined && typeof opts.body !== 'string';
      try {
        return await fetch(`http://127.0.0.1:${n.port}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${opts.token ?? this.token}`,
            ...(opts.body !== undefined ? { 'content-type': isJson ? 'application/json' : 'application/xml' } : {}),
            ...(opts.headers ?? {}),
          },
          ...(opts.body !== undefined ? { body: isJson ? JSON.stringify(opts.body) : (opts.body as string) } : {}),
          signal: AbortSignal.timeout(20_000),
        });
      } catch (err) {
        lastError = err;
      }
    }
    throw new Error(`no daemon answered ${method} ${path}: ${(lastError as Error | undefined)?.message ?? 'none running'}`);
  }

  async status(node?: string): Promise<ClusterStatus> {
    const res = await this.request('GET', '/status', node ? { node } : {});
    if (!res.ok) throw new Error(`status: HTTP ${res.status}: ${await res.text()}`);
    return (await res.json()) as ClusterStatus;
  }

  async statusText(node?: string): Promise<string> {
    const res = await this.request('GET', '/status?output=text', node ? { node } : {});
    return res.text();
  }

  async waitForDc(timeoutMs: number): Promise<string> {
    return until('a DC', async () => (await this.status()).summary.dc?.name, timeoutMs, 100);
  }

  /** Replace the configuration; resolves with the committed version. */
  async configure(cibXml: string): Promise<void> {
    const res = await this.request('PUT', '/cib', { body: cibXml });
    if (!res.ok) throw new Error(`configure: HTTP ${res.status}: ${await res.text()}`);
  }

  static nodesOf(status: ClusterStatus, id: string, role?: string): string[] {
    return allPrimitiveStatuses(status.resources)
      .filter((p) => p.id === id || p.baseId === id)
      .flatMap((p) => p.locations.filter((l) => !l.failed && (role === undefined || l.role === role)).map((l) => l.node))
      .sort();
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n.name, 'SIGKILL', 10_000).catch(() => undefined)));
    if (!this.keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The configuration `vigil demo` and the end-to-end tests load. */
export function demoCib(cluster: LocalCluster, opts: { httpPort: number; stickiness?: number; fencing?: boolean; monitorMs?: number }): string {
  const nodes = cluster.config.nodes.map((n) => `<node id="${n.id}" uname="${n.name}"/>`).join('');
  const mon = opts.monitorMs ?? 2000;
  return `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="opt-fencing" name="fencing-enabled" value="${opts.fencing ?? true}"/>
    </cluster_property_set></crm_config>
    <nodes>${nodes}</nodes>
    <resources>
      <primitive id="fence-local" class="stonith" type="fence_vigil_process">
        <instance_attributes id="fence-local-ia">
          <nvpair id="fence-local-pid" name="pid_file" value="${cluster.dir}/{node}/vigil.pid"/>
          <nvpair id="fence-local-hosts" name="pcmk_host_list" value="${cluster.config.nodes.map((n) => n.name).join(' ')}"/>
        </instance_attributes>
      </primitive>
      <group id="web">
        <meta_attributes id="web-meta"><nvpair id="web-stickiness" name="resource-stickiness" value="${opts.stickiness ?? 100}"/></meta_attributes>
        <primitive id="vip" class="ocf" provider="vigil" type="Dummy">
          <instance_attributes id="vip-ia"><nvpair id="vip-ip" name="ip" value="127.0.0.200"/></instance_attributes>
          <operations><op id="vip-mon" name="monitor" interval="${mon}ms" timeout="10s"/></operations>
        </primitive>
        <primitive id="http" class="ocf" provider="vigil" type="http">
          <instance_attributes id="http-ia"><nvpair id="http-port" name="port" value="${opts.httpPort}"/></instance_attributes>
          <operations><op id="http-mon" name="monitor" interval="${mon}ms" timeout="10s"/></operations>
        </primitive>
      </group>
      <clone id="db-clone">
        <meta_attributes id="db-meta"><nvpair id="db-promotable" name="promotable" value="true"/></meta_attributes>
        <primitive id="db" class="ocf" provider="vigil" type="Stateful">
          <operations>
            <op id="db-mon-p" name="monitor" interval="${mon + 1000}ms" role="Promoted" timeout="10s"/>
            <op id="db-mon-u" name="monitor" interval="${mon + 2000}ms" role="Unpromoted" timeout="10s"/>
          </operations>
        </primitive>
      </clone>
    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>`;
}
