/**
 * Any fence-agents script (`fence_ipmilan`, `fence_virsh`, ...) as a fence
 * device. The protocol is the one Pacemaker's fencer speaks: options as
 * `name=value` lines on stdin (never argv, so passwords stay out of `ps`),
 * `action=` and `plug=`, exit 0 for success; for `status`, 0 means on and 2
 * means off; `list` prints `plug[,alias]` lines; `metadata` prints XML.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { StonithError } from './errors.js';
import type { ActionOptions, DeviceMetadata, DeviceParameterInfo, DeviceParams, FenceAction, FenceDevice, PowerState } from './device.js';
import { FENCE_ACTIONS } from './device.js';

export const DEFAULT_AGENT_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/usr/local/sbin'];
const AGENT_NAME = /^fence_[A-Za-z0-9_.-]+$/;
const OUTPUT_LIMIT_BYTES = 256 * 1024;

export interface FenceAgentOptions {
  /** Agent name (`fence_ipmilan`) or an absolute path to the script. */
  readonly agent: string;
  readonly params: DeviceParams;
  /** Where to look for agents given by name. */
  readonly searchDirs?: readonly string[];
  /** Kill the agent after this long; `power_timeout`-style params still go to the agent. */
  readonly timeoutMs?: number;
}

export interface AgentRun {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export function isFenceAgentName(name: string): boolean {
  return AGENT_NAME.test(name) || (name.startsWith('/') && AGENT_NAME.test(name.slice(name.lastIndexOf('/') + 1)));
}

export function resolveAgentPath(agent: string, searchDirs: readonly string[] = DEFAULT_AGENT_DIRS): string {
  if (!isFenceAgentName(agent)) {
    throw new StonithError('VIGIL_STONITH_UNKNOWN_DEVICE_TYPE', `'${agent}' is not a fence agent name (fence_*)`);
  }
  const candidates = agent.startsWith('/') ? [agent] : searchDirs.map((d) => join(d, agent));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next directory
    }
  }
  throw new StonithError('VIGIL_STONITH_AGENT_NOT_FOUND', `fence agent '${agent}' not found (looked in ${candidates.join(', ')}); is fence-agents installed?`);
}

/** Parameters Pacemaker reads itself; fence agents never see them. */
function isClusterParam(name: string): boolean {
  return name.startsWith('pcmk_') || name === 'priority' || name === 'provides' || name === 'stonith-timeout';
}

/** The stdin text for one call. Exposed for tests; values may not contain newlines. */
export function agentStdin(params: DeviceParams, action: string, plug?: string, hostArgument = 'plug'): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (isClusterParam(name) || name === 'action' || name === 'plug' || name === 'port') continue;
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value) || !/^[A-Za-z0-9_-]+$/.test(name)) {
      throw new StonithError('VIGIL_STONITH_BAD_PARAM', `fence agent parameter '${name.replace(/[\r\n]/g, '?')}' has a bad name or a newline in its value`);
    }
    lines.push(`${name}=${value}`);
  }
  lines.push(`action=${action}`);
  const target = plug ?? params.plug ?? params.port;
  if (target && hostArgument !== 'none') {
    if (/[\r\n]/.test(target)) throw new StonithError('VIGIL_STONITH_BAD_PARAM', 'fence agent plug has a newline');
    if (!/^[A-Za-z0-9_-]+$/.test(hostArgument)) throw new StonithError('VIGIL_STONITH_BAD_PARAM', `pcmk_host_argument '${hostArgument}' is not a parameter name`);
    lines.push(`${hostArgument}=${target}`);
  }
  return lines.join('\n') + '\n';
}

export class FenceAgentDevice implements FenceDevice {
  readonly type: string;
  private readonly path: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: FenceAgentOptions) {
    this.path = resolveAgentPath(opts.agent, opts.searchDirs);
    this.type = opts.agent.slice(opts.agent.lastIndexOf('/') + 1);
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  async off(opts: ActionOptions = {}): Promise<void> {
    await this.expectSuccess('off', opts);
  }

  async on(opts: ActionOptions = {}): Promise<void> {
    await this.expectSuccess('on', opts);
  }

  async reboot(opts: ActionOptions = {}): Promise<void> {
    await this.expectSuccess('reboot', opts);
  }

  async status(opts: ActionOptions = {}): Promise<PowerState> {
    const run = await this.run('status', opts);
    if (run.exitCode === 0) return 'on';
    if (run.exitCode === 2) return 'off';
    throw this.failure('status', run);
  }

  async list(opts: ActionOptions = {}): Promise<string[]> {
    const run = await this.run('list', opts);
    if (run.exitCode !== 0) throw this.failure('list', run);
    return parseAgentList(run.stdout);
  }

  async monitor(opts: ActionOptions = {}): Promise<void> {
    await this.expectSuccess('monitor', opts);
  }

  async metadata(): Promise<DeviceMetadata> {
    const run = await this.run('metadata', {});
    if (run.exitCode !== 0) throw this.failure('metadata', run);
    return parseAgentMetadata(run.stdout, this.type);
  }

  private async expectSuccess(action: FenceAction, opts: ActionOptions): Promise<AgentRun> {
    const run = await this.run(action, opts);
    if (run.exitCode !== 0) throw this.failure(action, run);
    return run;
  }

  private failure(action: string, run: AgentRun): StonithError {
    if (run.timedOut) {
      return new StonithError('VIGIL_STONITH_TIMEOUT', `${this.type} ${action}: no result within ${this.timeoutMs} ms, agent killed`);
    }
    const how = run.exitCode !== null ? `exit code ${run.exitCode}` : `signal ${run.signal}`;
    const reason = agentReason(run.stderr) ?? agentReason(run.stdout);
    return new StonithError('VIGIL_STONITH_AGENT_FAILED', `${this.type} ${action} failed (${how})${reason ? `: ${reason}` : ''}`);
  }

  async run(action: string, opts: ActionOptions): Promise<AgentRun> {
    const hostArgument = opts.plug !== undefined && action !== 'metadata' ? await this.hostArgument() : 'none';
    const input = agentStdin(this.opts.params, action, opts.plug, hostArgument);
    return runAgent(this.path, input, this.timeoutMs, opts.signal);
  }

  /**
   * Which parameter carries the target: pcmk_host_argument if set, else as
   * Pacemaker does, `port` if the agent's metadata has it, else `plug`,
   * else none (single-host agents such as fence_ipmilan get no plug).
   */
  private async hostArgument(): Promise<string> {
    const configured = this.opts.params.pcmk_host_argument;
    if (configured) return configured;
    this.hostArgumentFromMetadata ??= this.metadata().then(
      (meta) => {
        const names = new Set(meta.parameters.map((p) => p.name));
        return names.has('port') ? 'port' : names.has('plug') ? 'plug' : 'none';
      },
      () => 'plug',
    );
    return this.hostArgumentFromMetadata;
  }

  private hostArgumentFromMetadata: Promise<string> | undefined;
}

export function runAgent(path: string, input: string, timeoutMs: number, signal?: AbortSignal): Promise<AgentRun> {
  return new Promise((resolve, reject) => {
    // A process group of its own, so a timeout kills the agent's ipmitool/ssh children too.
    const child = spawn(path, [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, LANG: 'C', LC_ALL: 'C', PYTHONWARNINGS: 'ignore' } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), 2000).unref();
    }, timeoutMs);
    const onAbort = (): void => kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < OUTPUT_LIMIT_BYTES) stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < OUTPUT_LIMIT_BYTES) stderr += d.toString('utf8');
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(new StonithError('VIGIL_STONITH_AGENT_NOT_FOUND', `cannot run fence agent ${path}: ${err.message}`, { cause: err }));
    });
    child.on('close', (exitCode, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) {
        reject(new StonithError('VIGIL_STONITH_CANCELLED', `fence agent ${path} cancelled`));
        return;
      }
      resolve({ exitCode, signal: sig, stdout, stderr, timedOut });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** The agent's own explanation: its last ERROR line, else its last meaningful line. */
function agentReason(output: string): string | undefined {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/DeprecationWarning|^from pipes import/.test(l));
  const errorLine = [...lines].reverse().find((l) => /\bERROR\b|Failed/i.test(l));
  const line = errorLine ?? lines[lines.length - 1];
  if (!line) return undefined;
  // Drop the python logging timestamp.
  return line.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ /, '').slice(0, 400);
}

export function parseAgentList(stdout: string): string[] {
  const plugs: string[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line || /^(NOTICE|WARNING|ERROR)\b/.test(line)) continue;
    const plug = line.split(',')[0]!.trim();
    if (plug) plugs.push(plug);
  }
  return plugs;
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}="([^"]*)"`).exec(tag);
  return m ? decodeXmlText(m[1]!) : undefined;
}

function decodeXmlText(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** fence-agents metadata is small and regular; this reads what the fencer needs from it. */
export function parseAgentMetadata(xml: string, agent: string): DeviceMetadata {
  const root = /<resource-agent\b[^>]*>/.exec(xml);
  if (!root) throw new StonithError('VIGIL_STONITH_AGENT_FAILED', `${agent} metadata: no <resource-agent> element in its output`);
  const parameters: DeviceParameterInfo[] = [];
  const paramRe = /<parameter\b([^>]*)>([\s\S]*?)<\/parameter>/g;
  for (let m = paramRe.exec(xml); m; m = paramRe.exec(xml)) {
    const head = m[1]!;
    const body = m[2]!;
    const name = attr(head, 'name');
    if (!name) continue;
    const content = /<content\b[^>]*>/.exec(body)?.[0] ?? '';
    const rawType = attr(content, 'type') ?? 'string';
    const type = rawType === 'boolean' ? 'boolean' : rawType === 'integer' ? 'integer' : rawType === 'second' ? 'second' : 'string';
    const def = attr(content, 'default');
    const desc = /<shortdesc[^>]*>([\s\S]*?)<\/shortdesc>/.exec(body)?.[1]?.trim() ?? '';
    parameters.push({ name, required: attr(head, 'required') === '1', type, ...(def !== undefined ? { default: def } : {}), description: decodeXmlText(desc) });
  }
  const actions: FenceAction[] = [];
  const actionRe = /<action\b[^>]*name="([^"]+)"/g;
  for (let m = actionRe.exec(xml); m; m = actionRe.exec(xml)) {
    const name = m[1]!;
    if ((FENCE_ACTIONS as readonly string[]).includes(name) && !actions.includes(name as FenceAction)) actions.push(name as FenceAction);
  }
  return { name: attr(root[0], 'name') ?? agent, shortdesc: attr(root[0], 'shortdesc') ?? '', parameters, actions, xml };
}
