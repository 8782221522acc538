import { access, constants, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { OcfRc, OpStatus, isOcfAction, type OpStatusCode } from './codes.js';
import { RaError } from './errors.js';
import { MemoryAttributeStore, type AttributeLifetime, type AttributeStore } from './attributes.js';
import type { ClusterView } from './helper-commands.js';
import { promotionAttributeName } from './helper-commands.js';
import { HELPER_SOCKET_ENV, HelperServer, type HelperRuntime } from './helper-server.js';
import { lsbMetadata, lsbRcToOcf, lsbScriptAction } from './lsb.js';
import { checkParameters, parseMetadata, renderMetadata, type AgentMetadata } from './metadata.js';
import { nativeMethod, NativeAgentRegistry, type AgentActionResult, type AgentContext } from './native.js';
import { runProcess } from './process.js';
import { formatAgentSpec, RUNNABLE_CLASSES, type AgentSpec } from './spec.js';

export interface ExecutorOptions {
  /** This node's name: crm_node -n, OCF_RESKEY_CRM_meta_on_node, the default -N of crm_attribute. */
  readonly nodeName: string;
  readonly nodeId?: string;
  /**
   * Per-daemon directory: run/ becomes HA_VARRUN, rsctmp/ HA_RSCTMP, bin/
   * holds the helper commands. Two executors on one machine must not share it.
   */
  readonly stateDir: string;
  readonly ocfRoot?: string;
  readonly lsbDir?: string;
  readonly attributes?: AttributeStore;
  readonly natives?: NativeAgentRegistry;
  readonly cluster?: ClusterView;
  /** PATH after the helper directory. */
  readonly path?: string;
  /** Added to every agent's environment (after the OCF variables, so it cannot override them). */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** Per stream; meta-data actions get at least 4 MiB. */
  readonly outputLimitBytes?: number;
  readonly killGraceMs?: number;
  readonly defaultTimeoutMs?: number;
  readonly crmFeatureSet?: string;
  /** false = no helper socket/commands (e.g. a one-shot meta-data query). */
  readonly helpers?: boolean;
  /** Language of the helper commands: auto (Perl when usable, else Node), perl, node. */
  readonly helperRuntime?: HelperRuntime;
}

export interface ActionRequest {
  readonly resourceId: string;
  readonly agent: AgentSpec;
  readonly action: string;
  readonly params?: Readonly<Record<string, string>>;
  /** Meta attributes without the CRM_meta_ prefix: clone_max, notify_type, globally_unique... */
  readonly meta?: Readonly<Record<string, string>>;
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Check params against the agent's meta-data first; throws RaError naming the parameter. */
  readonly validate?: boolean;
}

export interface ActionResult {
  readonly resourceId: string;
  readonly action: string;
  readonly intervalMs: number;
  /** OCF rc (LSB codes already mapped). */
  readonly rc: number;
  readonly opStatus: OpStatusCode;
  readonly exitReason?: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputDroppedBytes: number;
  /** Wall clock (ms since epoch) when the agent was started. */
  readonly startedAtMs: number;
  readonly execTimeMs: number;
}

/** Anything that runs one action: the executor, or a fake in tests. */
export interface ActionRunner {
  run(request: ActionRequest): Promise<ActionResult>;
}

const EXIT_REASON_PREFIX = 'ocf-exit-reason:';
/** Actions that bring a resource up (or check its configuration): only these refuse bad parameters. */
const VALIDATING_ACTIONS: ReadonlySet<string> = new Set(['start', 'validate-all', 'migrate_from', 'reload', 'reload-agent', 'promote']);

function defaultsOf(meta: AgentMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of meta.parameters) if (p.default !== undefined) out[p.name] = p.default;
  return out;
}
const CHECK_LEVEL = 'OCF_CHECK_LEVEL';
const EXIT_REASON_MAX = 256;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const META_DATA_OUTPUT_BYTES = 4 * 1024 * 1024;
const META_DATA_TIMEOUT_MS = 30_000;
const MAX_SOCKET_PATH = 100;

/**
 * Runs resource-agent actions the way Pacemaker's executor does. Everything
 * an agent sees comes from the options object, never from this process's
 * environment, so several executors (several daemons) can share a machine.
 */
export class AgentExecutor implements ActionRunner {
  readonly ocfRoot: string;
  readonly lsbDir: string;
  readonly attributes: AttributeStore;
  readonly natives: NativeAgentRegistry;
  readonly binDir: string;
  readonly varRunDir: string;
  readonly rscTmpDir: string;
  readonly socketPath: string;
  private readonly metadataCache = new Map<string, AgentMetadata>();
  private helperServer: HelperServer | undefined;
  private started = false;
  private closed = false;

  constructor(readonly options: ExecutorOptions) {
    if (!options.nodeName) throw new RaError('VIGIL_RA_BAD_OPTIONS', 'executor options: nodeName is empty');
    if (!options.stateDir) throw new RaError('VIGIL_RA_BAD_OPTIONS', 'executor options: stateDir is empty');
    // Agents run with cwd "/", so every directory handed to them is made absolute.
    this.ocfRoot = resolve(options.ocfRoot ?? '/usr/lib/ocf');
    this.lsbDir = resolve(options.lsbDir ?? '/etc/init.d');
    this.attributes = options.attributes ?? new MemoryAttributeStore();
    this.natives = options.natives ?? new NativeAgentRegistry();
    const stateDir = resolve(options.stateDir);
    this.binDir = join(stateDir, 'bin');
    this.varRunDir = join(stateDir, 'run');
    this.rscTmpDir = join(stateDir, 'rsctmp');
    // Per process: CLI runs may share a state dir (agents keep state there between calls).
    const preferred = join(stateDir, `helper-${process.pid}.sock`);
    this.socketPath =
      preferred.length <= MAX_SOCKET_PATH
        ? preferred
        : join(tmpdir(), `vigil-helper-${process.pid}-${randomBytes(4).toString('hex')}.sock`);
  }

  /** Create the state directories and, unless disabled, the helper commands and their socket. */
  async start(): Promise<void> {
    if (this.started) return;
    await mkdir(this.varRunDir, { recursive: true });
    await mkdir(this.rscTmpDir, { recursive: true });
    await mkdir(this.binDir, { recursive: true });
    if (this.options.helpers !== false) {
      const nodeName = this.options.nodeName;
      const server = new HelperServer({
        binDir: this.binDir,
        socketPath: this.socketPath,
        ...(this.options.helperRuntime ? { runtime: this.options.helperRuntime } : {}),
        context: {
          store: this.attributes,
          localNode: nodeName,
          localNodeId: this.options.nodeId ?? nodeName,
          cluster: this.options.cluster ?? {
            members: () => [{ id: this.options.nodeId ?? nodeName, name: nodeName, member: true }],
            hasQuorum: () => true,
          },
        },
      });
      await server.start();
      this.helperServer = server;
    }
    this.started = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.helperServer?.close();
    this.helperServer = undefined;
  }

  private ensureUsable(): void {
    if (!this.started || this.closed) {
      throw new RaError('VIGIL_RA_NOT_STARTED', 'agent executor: call start() before running agents (and not after close())');
    }
  }

  /**
   * native:TYPE always; ocf:PROVIDER:TYPE when a native agent is registered
   * under that provider, so a CIB (whose schema knows no "native" class) can
   * name in-process agents as ocf resources.
   */
  isNative(spec: AgentSpec): boolean {
    if (spec.class === 'native') return true;
    return spec.class === 'ocf' && spec.provider !== undefined && this.natives.get(spec.type, spec.provider) !== undefined;
  }

  /** Path of the script behind an agent, or undefined for native agents. */
  scriptPath(spec: AgentSpec): string | undefined {
    switch (spec.class) {
      case 'ocf':
        return join(this.ocfRoot, 'resource.d', spec.provider ?? '', spec.type);
      case 'lsb':
      case 'service':
        return join(this.lsbDir, spec.type);
      default:
        return undefined;
    }
  }

  /** The variables an OCF agent gets for one action. */
  ocfEnvironment(request: ActionRequest, timeoutMs: number): Record<string, string> {
    const env: Record<string, string> = {
      PATH: this.options.helpers === false ? this.options.path ?? DEFAULT_PATH : `${this.binDir}:${this.options.path ?? DEFAULT_PATH}`,
      ...(this.options.extraEnv ?? {}),
    };
    for (const [key, value] of Object.entries(request.params ?? {})) {
      // An op's OCF_CHECK_LEVEL instance attribute is the monitor depth, passed unprefixed.
      env[key === CHECK_LEVEL ? CHECK_LEVEL : `OCF_RESKEY_${key}`] = value;
    }
    for (const [key, value] of Object.entries(request.meta ?? {})) {
      env[`OCF_RESKEY_CRM_meta_${key.replace(/-/g, '_')}`] = value;
    }
    Object.assign(env, {
      OCF_ROOT: this.ocfRoot,
      OCF_FUNCTIONS_DIR: join(this.ocfRoot, 'lib', 'heartbeat'),
      OCF_RA_VERSION_MAJOR: '1',
      OCF_RA_VERSION_MINOR: '1',
      OCF_RESOURCE_INSTANCE: request.resourceId,
      OCF_RESOURCE_TYPE: request.agent.type,
      OCF_EXIT_REASON_PREFIX: EXIT_REASON_PREFIX,
      OCF_RESKEY_crm_feature_set: this.options.crmFeatureSet ?? '3.16.2',
      OCF_RESKEY_CRM_meta_name: request.action,
      OCF_RESKEY_CRM_meta_interval: String(request.intervalMs ?? 0),
      OCF_RESKEY_CRM_meta_timeout: String(timeoutMs),
      OCF_RESKEY_CRM_meta_on_node: this.options.nodeName,
      OCF_RESKEY_CRM_meta_on_node_uuid: this.options.nodeId ?? this.options.nodeName,
      HA_VARRUN: this.varRunDir,
      HA_RSCTMP: this.rscTmpDir,
      // Log lines go to stderr, where the result captures them.
      HA_LOGFACILITY: 'none',
      HA_LOGTAG: request.resourceId,
    });
    if (this.options.helpers !== false) {
      env['HA_SBIN_DIR'] = this.binDir;
      env[HELPER_SOCKET_ENV] = this.socketPath;
    }
    if (request.agent.provider !== undefined) env['OCF_RESOURCE_PROVIDER'] = request.agent.provider;
    return env;
  }

  private lsbEnvironment(request: ActionRequest): Record<string, string> {
    return {
      PATH: this.options.path ?? DEFAULT_PATH,
      ...(this.options.extraEnv ?? {}),
      HA_VARRUN: this.varRunDir,
      HA_RSCTMP: this.rscTmpDir,
      OCF_RESOURCE_INSTANCE: request.resourceId,
    };
  }

  async run(request: ActionRequest): Promise<ActionResult> {
    this.ensureUsable();
    if (!isOcfAction(request.action)) {
      throw new RaError(
        'VIGIL_RA_UNKNOWN_ACTION',
        `resource '${request.resourceId}': action '${request.action}' is not an agent action`,
      );
    }
    checkEnvironmentSafe(request);
    if (request.validate && request.action !== 'meta-data') {
      const meta = await this.metadataIfInstalled(request.agent);
      if (meta) checkParameters(meta, request.params ?? {}, { subject: `resource '${request.resourceId}'` });
    }
    const timeoutMs = request.timeoutMs ?? this.options.defaultTimeoutMs ?? 20_000;
    if (this.isNative(request.agent)) return this.runNative(request, timeoutMs);
    if (!RUNNABLE_CLASSES.includes(request.agent.class)) {
      return resultBuilder(request, performance.now())(
        OcfRc.ERR_INSTALLED,
        OpStatus.NOT_INSTALLED,
        `${formatAgentSpec(request.agent)}: Vigil does not run ${request.agent.class} agents here`,
      );
    }
    return this.runScript(request, timeoutMs);
  }

  private async runScript(request: ActionRequest, timeoutMs: number): Promise<ActionResult> {
    const started = performance.now();
    const result = resultBuilder(request, started);
    const isLsb = request.agent.class !== 'ocf';
    const name = formatAgentSpec(request.agent);
    const file = this.scriptPath(request.agent)!;
    const installed = await isExecutableFile(file);
    if (installed === 'not executable') {
      // Pacemaker's answer to EACCES: the agent is there but may not be run.
      return result(OcfRc.ERR_PERM, OpStatus.ERROR, `${name} is not executable (${file})`);
    }
    if (installed !== true) {
      return result(OcfRc.ERR_INSTALLED, OpStatus.NOT_INSTALLED, `${name} is not installed (${file}: ${installed})`);
    }
    if (isLsb && request.action === 'meta-data') {
      const text = await readFile(file, 'utf8');
      return result(OcfRc.SUCCESS, OpStatus.DONE, undefined, { stdout: renderMetadata(lsbMetadata(request.agent.type, text)) });
    }
    const scriptAction = isLsb ? lsbScriptAction(request.action) : request.action;
    if (scriptAction === undefined) {
      return result(OcfRc.ERR_UNIMPLEMENTED, OpStatus.NOT_SUPPORTED, `LSB scripts have no '${request.action}' action`);
    }

    let exitReason: string | undefined;
    const limit = this.options.outputLimitBytes ?? 64 * 1024;
    const outcome = await runProcess({
      file,
      args: [scriptAction],
      env: isLsb ? this.lsbEnvironment(request) : this.ocfEnvironment(request, timeoutMs),
      cwd: '/',
      timeoutMs,
      killGraceMs: this.options.killGraceMs ?? 5_000,
      outputLimitBytes: request.action === 'meta-data' ? Math.max(limit, META_DATA_OUTPUT_BYTES) : limit,
      ...(request.signal ? { signal: request.signal } : {}),
      onStderrLine: (line) => {
        if (line.startsWith(EXIT_REASON_PREFIX)) {
          exitReason = line.slice(EXIT_REASON_PREFIX.length).trim().slice(0, EXIT_REASON_MAX);
        }
      },
    });
    const output = { stdout: outcome.stdout, stderr: outcome.stderr, outputDroppedBytes: outcome.outputDroppedBytes };
    const spawnError = outcome.spawnError;
    if (spawnError !== undefined) {
      if (['ENOENT', 'EISDIR', 'ENOTDIR', 'ENOEXEC', 'EINVAL'].includes(spawnError)) {
        // Also a script whose #! interpreter is missing.
        return result(OcfRc.ERR_INSTALLED, OpStatus.NOT_INSTALLED, `${name} could not be run (${file}: ${spawnError})`);
      }
      const denied = spawnError === 'EACCES' || spawnError === 'EPERM';
      return result(denied ? OcfRc.ERR_PERM : OcfRc.ERR_GENERIC, OpStatus.ERROR, `could not run ${file}: ${spawnError}`, output);
    }
    if (outcome.timedOut) {
      return result(OcfRc.ERR_GENERIC, OpStatus.TIMED_OUT, `${request.action} timed out after ${timeoutMs}ms`, output);
    }
    if (outcome.cancelled) return result(OcfRc.ERR_GENERIC, OpStatus.CANCELLED, 'cancelled', output);
    if (outcome.exitCode === undefined) {
      return result(OcfRc.ERR_GENERIC, OpStatus.ERROR, `agent was killed by ${outcome.exitSignal}`, output);
    }
    const rc = isLsb ? lsbRcToOcf(request.action, outcome.exitCode) : outcome.exitCode;
    return result(rc, OpStatus.DONE, exitReason, output);
  }

  private async runNative(request: ActionRequest, timeoutMs: number): Promise<ActionResult> {
    const result = resultBuilder(request, performance.now());
    const name = formatAgentSpec(request.agent);
    const agent = this.natives.get(request.agent.type, request.agent.provider);
    if (!agent) return result(OcfRc.ERR_INSTALLED, OpStatus.NOT_INSTALLED, `${name} is not registered`);
    if (request.action === 'meta-data') {
      return result(OcfRc.SUCCESS, OpStatus.DONE, undefined, { stdout: renderMetadata(agent.metadata) });
    }
    const method = nativeMethod(agent, request.action);
    if (!method) return result(OcfRc.ERR_UNIMPLEMENTED, OpStatus.NOT_SUPPORTED, `${name} does not implement ${request.action}`);
    let params: Record<string, string>;
    try {
      params = checkParameters(agent.metadata, request.params ?? {}, { subject: `resource '${request.resourceId}'` });
    } catch (err) {
      // Bad parameters are refused where a resource would be brought up, with
      // the answer a script gives (not configured, fatal). Stopping or
      // checking must still work: a failed stop gets a node fenced.
      if (!VALIDATING_ACTIONS.has(request.action)) {
        params = { ...defaultsOf(agent.metadata), ...(request.params ?? {}) };
      } else {
        return result(OcfRc.ERR_CONFIGURED, OpStatus.DONE, (err as Error).message);
      }
    }
    // One signal for the agent: aborted by our timeout or by the caller.
    const controller = new AbortController();
    const onOuterAbort = (): void => controller.abort('cancelled');
    if (request.signal?.aborted) return result(OcfRc.ERR_GENERIC, OpStatus.CANCELLED, 'cancelled');
    request.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const timer = setTimeout(() => controller.abort('timeout'), timeoutMs);
    try {
      const ctx = this.nativeContext(request, params, timeoutMs, controller.signal);
      const outcome = await raceAbort(method(ctx), controller.signal);
      if (outcome.aborted === 'timeout') {
        return result(OcfRc.ERR_GENERIC, OpStatus.TIMED_OUT, `${request.action} timed out after ${timeoutMs}ms`);
      }
      if (outcome.aborted !== undefined) return result(OcfRc.ERR_GENERIC, OpStatus.CANCELLED, 'cancelled');
      if (outcome.error !== undefined) {
        const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
        return result(OcfRc.ERR_GENERIC, OpStatus.DONE, message.slice(0, EXIT_REASON_MAX));
      }
      const answer = nativeOutcome(outcome.value);
      return result(answer.rc, OpStatus.DONE, answer.exitReason, { stdout: answer.stdout });
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  private nativeContext(request: ActionRequest, params: Record<string, string>, timeoutMs: number, signal: AbortSignal): AgentContext {
    const store = this.attributes;
    const node = this.options.nodeName;
    const rsc = request.resourceId;
    // The same naming the crm_attribute helper applies for script agents.
    const uniqueEnv = { OCF_RESKEY_CRM_meta_globally_unique: request.meta?.['globally_unique'] ?? request.meta?.['globally-unique'] };
    return {
      resourceId: rsc,
      action: request.action,
      params,
      meta: request.meta ?? {},
      intervalMs: request.intervalMs ?? 0,
      timeoutMs,
      nodeName: node,
      signal,
      attributes: {
        get: (name: string, lifetime: AttributeLifetime = 'reboot') => store.get(node, name, lifetime),
        set: (name: string, value: string, lifetime: AttributeLifetime = 'reboot') => store.set(node, name, value, lifetime),
        delete: (name: string, lifetime: AttributeLifetime = 'reboot') => store.delete(node, name, lifetime),
        setPromotionScore: (score: number) => store.set(node, promotionAttributeName(rsc, uniqueEnv), String(score), 'reboot'),
        clearPromotionScore: () => store.delete(node, promotionAttributeName(rsc, uniqueEnv), 'reboot'),
      },
    };
  }

  /** Meta-data of an agent, parsed and cached. Throws RaError if the agent is missing or its XML is bad. */
  async metadata(spec: AgentSpec): Promise<AgentMetadata> {
    const key = formatAgentSpec(spec);
    const cached = this.metadataCache.get(key);
    if (cached) return cached;
    if (this.isNative(spec)) {
      const agent = this.natives.get(spec.type, spec.provider);
      if (!agent) throw new RaError('VIGIL_RA_BAD_METADATA', `${key}: no such native agent is registered`);
      this.metadataCache.set(key, agent.metadata);
      return agent.metadata;
    }
    const file = this.scriptPath(spec);
    if (file === undefined) throw new RaError('VIGIL_RA_BAD_METADATA', `${key}: Vigil does not run ${spec.class} agents here`);
    const installed = await isExecutableFile(file);
    if (installed !== true) throw new RaError('VIGIL_RA_BAD_METADATA', `${key}: not installed (${file}: ${installed})`);
    let meta: AgentMetadata;
    if (spec.class !== 'ocf') {
      meta = lsbMetadata(spec.type, await readFile(file, 'utf8'));
    } else {
      const result = await this.runScript(
        { resourceId: spec.type, agent: spec, action: 'meta-data' },
        META_DATA_TIMEOUT_MS,
      );
      if (result.opStatus !== OpStatus.DONE || result.rc !== OcfRc.SUCCESS) {
        throw new RaError('VIGIL_RA_BAD_METADATA', `${key}: meta-data action failed (rc ${result.rc}, ${result.exitReason ?? result.stderr.trim().slice(0, 200)})`);
      }
      meta = parseMetadata(result.stdout, key);
    }
    this.metadataCache.set(key, meta);
    return meta;
  }

  private async metadataIfInstalled(spec: AgentSpec): Promise<AgentMetadata | undefined> {
    if (this.isNative(spec)) return this.natives.get(spec.type, spec.provider)?.metadata;
    const file = this.scriptPath(spec);
    if (file === undefined || (await isExecutableFile(file)) !== true) return undefined;
    return this.metadata(spec);
  }

  /** Check instance attributes against the agent's meta-data; defaults filled in. */
  async checkParameters(spec: AgentSpec, resourceId: string, params: Readonly<Record<string, string>>): Promise<Record<string, string>> {
    return checkParameters(await this.metadata(spec), params, { subject: `resource '${resourceId}'` });
  }

  /** Installed agents of a class (and provider), as CLASS[:PROVIDER]:TYPE strings, sorted. */
  async listAgents(cls?: string, provider?: string): Promise<string[]> {
    const out: string[] = [];
    if (!cls || cls === 'ocf') {
      const root = join(this.ocfRoot, 'resource.d');
      const providers = provider ? [provider] : await listDir(root);
      for (const p of providers) {
        for (const type of await listDir(join(root, p))) {
          if ((await isExecutableFile(join(root, p, type))) === true) out.push(`ocf:${p}:${type}`);
        }
      }
      for (const key of this.natives.names()) {
        const [p, type] = key.split(':');
        if (type !== undefined && (!provider || p === provider) && !out.includes(`ocf:${key}`)) out.push(`ocf:${p}:${type}`);
      }
    }
    if (!cls || cls === 'lsb' || cls === 'service') {
      const prefix = cls === 'service' ? 'service' : 'lsb';
      for (const name of await listDir(this.lsbDir)) {
        if (/^(README|skeleton|rc|rcS|functions)$/.test(name)) continue;
        if ((await isExecutableFile(join(this.lsbDir, name))) === true) out.push(`${prefix}:${name}`);
      }
    }
    if (!cls || cls === 'native') {
      for (const key of this.natives.names()) {
        if (provider && !key.startsWith(`${provider}:`)) continue;
        out.push(`native:${key}`);
      }
    }
    return out.sort();
  }
}

// Names end up as environment variable names: no '=' (it would split the
// entry) and no NUL anywhere (the kernel cannot carry it).
function checkEnvironmentSafe(request: ActionRequest): void {
  for (const [kind, map] of [['parameter', request.params], ['meta attribute', request.meta]] as const) {
    for (const [name, value] of Object.entries(map ?? {})) {
      if (name === '' || name.includes('=') || name.includes('\0')) {
        throw new RaError('VIGIL_RA_BAD_PARAMETER', `resource '${request.resourceId}': ${kind} name '${name.replace(/\0/g, '\\0')}' cannot be passed to an agent`);
      }
      if (value.includes('\0')) {
        throw new RaError('VIGIL_RA_BAD_PARAMETER', `resource '${request.resourceId}': ${kind} '${name}' has a NUL byte in its value`);
      }
    }
  }
}

type ResultOutput = Partial<Pick<ActionResult, 'stdout' | 'stderr' | 'outputDroppedBytes'>>;

/** Builds results for one request; execTimeMs runs from `started` (performance.now()). */
function resultBuilder(request: ActionRequest, started: number) {
  const startedAtMs = Date.now() - Math.round(performance.now() - started);
  return (rc: number, opStatus: OpStatusCode, exitReason?: string, output: ResultOutput = {}): ActionResult => ({
    resourceId: request.resourceId,
    action: request.action,
    intervalMs: request.intervalMs ?? 0,
    rc,
    opStatus,
    ...(exitReason !== undefined ? { exitReason } : {}),
    stdout: output.stdout ?? '',
    stderr: output.stderr ?? '',
    outputDroppedBytes: output.outputDroppedBytes ?? 0,
    startedAtMs,
    execTimeMs: Math.round(performance.now() - started),
  });
}

/**
 * Settle with the action's outcome or with the abort reason, whichever comes
 * first. A late rejection of the action is swallowed (it has been reported as
 * timed out already).
 */
function raceAbort(
  action: Promise<AgentActionResult>,
  signal: AbortSignal,
): Promise<{ value?: AgentActionResult; error?: unknown; aborted?: string }> {
  return new Promise((resolve) => {
    const onAbort = (): void => resolve({ aborted: String(signal.reason ?? 'cancelled') });
    signal.addEventListener('abort', onAbort, { once: true });
    action.then(
      (value) => resolve({ value }),
      (error: unknown) => resolve({ error: error ?? new Error('native agent rejected without a reason') }),
    ).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function nativeOutcome(value: AgentActionResult): { rc: number; exitReason?: string; stdout: string } {
  if (value === undefined) return { rc: OcfRc.SUCCESS, stdout: '' };
  if (typeof value === 'number') return { rc: validRc(value), stdout: '' };
  return {
    rc: validRc(value.rc),
    stdout: value.output ?? '',
    ...(value.reason !== undefined ? { exitReason: value.reason.slice(0, EXIT_REASON_MAX) } : {}),
  };
}

function validRc(rc: number): number {
  return Number.isInteger(rc) && rc >= 0 && rc <= 255 ? rc : OcfRc.ERR_GENERIC;
}

async function isExecutableFile(file: string): Promise<true | string> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return 'not a file';
    await access(file, constants.X_OK);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not executable' : String(code);
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  } catch {
    return [];
  }
}
