/**
 * One cluster node, as `vigil daemon` runs it and as a library user can run
 * it in-process: messaging (heartbeats, membership), crm (election, the
 * replicated CIB), the local resource manager with its agents, and, while
 * this node is the acting DC, the control loop and the fencer.
 *
 * The DC is the only writer of the CIB status section: nodes run actions
 * when the DC asks and report results back, and the DC records them, so a
 * result is in the committed CIB before the scheduler runs again.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventEmitter } from 'eventemitter3';
import { parseCib, parseXml, serializeXml, type Cib, type Primitive, type XmlElement } from '@vigil/cib';
import { createNode, type MessagingNode } from '@vigil/messaging';
import { AgentExecutor, NativeAgentRegistry, builtinAgents, type AgentClass, type AttributeStore } from '@vigil/ra';
import { LocalResourceManager, opRecordAttributes, type OpResult } from '@vigil/lrm';
import { unpack, type GraphAction } from '@vigil/pe';
import { Fencer, ProcessWatchdog, SelfFenceMonitor, defaultRegistry, effectiveStonithWatchdogTimeoutMs, fencerConfigFromCib, registryDeviceFactory, systemClock, type DeviceRegistry } from '@vigil/stonith';
import { CrmNode, type CrmNodeStatus } from '../node.js';
import type { CrmTransport } from '../node.js';
import { setTransientAttribute } from '../xml-cib.js';
import { ControlLoop, type ActionOutcome, type TransitionReport } from '../control/loop.js';
import { transientAttribute, withMembership, withNodeFenced, withNodeHistory, withOpRecord, withoutRecurringRecords } from '../control/status.js';
import type { ClusterConfig } from './config.js';
import { DaemonError } from './errors.js';
import { PROCESS_FENCE_TYPE, processFenceDevice, processFenceMetadata } from './process-fence.js';

export const LRM_CHANNEL = 'vigil-lrm';

export interface ClusterNodeOptions {
  readonly config: ClusterConfig;
  readonly nodeName: string;
  readonly stateDir: string;
  /** In-process agents (class "native"), e.g. a service embedded in the program. */
  readonly natives?: NativeAgentRegistry;
  /** Fence device types; the default knows ipmi, ssh, fence_* agents and the process stand-in. */
  readonly fenceRegistry?: DeviceRegistry;
  readonly log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /**
   * Timeout of this node's watchdog, used when the CIB sets
   * stonith-watchdog-timeout (default 5 s, SBD's default). The watchdog is
   * a process-level one: a child process that SIGKILLs the daemon when it
   * is not fed.
   */
  readonly watchdogTimeoutMs?: number;
}

export interface ResourceResult {
  readonly node: string;
  readonly resource: string;
  readonly task: string;
  readonly intervalMs: number;
  readonly rc: number;
  readonly opStatus: number;
}

export interface ClusterNodeEvents {
  membership: (members: string[]) => void;
  dc: (dc: string | null) => void;
  result: (r: ResourceResult) => void;
  fencing: (r: { target: string; ok: boolean; ms: number }) => void;
  transition: (r: TransitionReport) => void;
  committed: (version: string) => void;
  /** Quorum was lost and no-quorum-policy applied to what runs here. */
  quorumLost: (r: { policy: string; stopped: boolean }) => void;
  /** The node must go down now (no-quorum-policy=suicide): the owner decides how. */
  selfFence: (reason: string) => void;
}

interface ExecRequest {
  readonly t: 'exec';
  readonly id: number;
  readonly rsc: { id: string; class: string; provider?: string; type: string; params: Record<string, string>; meta: Record<string, string> };
  readonly task: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly key: string;
  readonly expectedRc?: number;
}

/** op-status "not connected": the node went away; nothing is known about the action. */
const NOT_CONNECTED = 8;

interface ExecReply {
  readonly t: 'done';
  /** The node left before answering: there is no result to record. */
  readonly lost?: boolean;
  readonly id: number;
  readonly rc: number;
  readonly opStatus: number;
  readonly exitReason?: string;
  readonly record: Record<string, string>;
}

interface OpReport {
  readonly t: 'op';
  readonly rsc: ExecRequest['rsc'];
  readonly rc: number;
  readonly opStatus: number;
  readonly failed: boolean;
  readonly task: string;
  readonly intervalMs: number;
  readonly record: Record<string, string>;
}

interface JoinRequest {
  readonly t: 'join-req';
}

interface JoinReply {
  readonly t: 'join';
  /** This node's resource history as an <lrm> element. */
  readonly lrm: string;
}

type LrmMessage = ExecRequest | ExecReply | OpReport | JoinRequest | JoinReply;

const EXEC_REPLY_GRACE_MS = 10_000;

export class ClusterNode extends EventEmitter<ClusterNodeEvents> {
  readonly name: string;
  readonly id: number;
  private readonly config: ClusterConfig;
  private readonly idToName = new Map<number, string>();
  private readonly nameToId = new Map<string, number>();
  private messaging!: MessagingNode;
  private crm!: CrmNode<string>;
  private executor!: AgentExecutor;
  private lrm!: LocalResourceManager;
  private fencer!: Fencer;
  private registry!: DeviceRegistry;
  private loop: ControlLoop | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private actingDc = false;
  private lastDc: string | null = null;
  private members: string[] = [];
  private syncedMembers = new Set<string>();
  private readonly ownVersions = new Set<string>();
  private writeChain: Promise<unknown> = Promise.resolve();
  private nextExecId = 1;
  private readonly pendingExec = new Map<number, { node: string; req: ExecRequest; resolve: (r: ExecReply) => void; timer: NodeJS.Timeout }>();
  private readonly recurringReported = new Set<string>();
  private readonly stonithActive = new Set<string>();
  private stopping = false;
  private stopped = false;

  private constructor(private readonly opts: ClusterNodeOptions) {
    super();
    this.config = opts.config;
    const me = opts.config.nodes.find((n) => n.name === opts.nodeName);
    if (!me) {
      throw new DaemonError('VIGIL_CRM_UNKNOWN_NODE', `${opts.config.source}: node '${opts.nodeName}' is not listed (nodes: ${opts.config.nodes.map((n) => n.name).join(', ')})`);
    }
    this.name = me.name;
    this.id = me.id;
    for (const n of opts.config.nodes) {
      this.idToName.set(n.id, n.name);
      this.nameToId.set(n.name, n.id);
    }
  }

  static async start(opts: ClusterNodeOptions): Promise<ClusterNode> {
    const node = new ClusterNode(opts);
    await node.boot();
    return node;
  }

  private log(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(level, msg, { node: this.name, ...(fields ?? {}) });
  }

  private async boot(): Promise<void> {
    const { config, stateDir } = this.opts;
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(stateDir, 'vigil.pid'), `${process.pid}\n`);
    const nodes = config.nodes.map((n) => ({ id: n.id, name: n.name, links: n.links.map((l) => ({ addr: l.addr, port: l.port })) }));
    this.messaging = await createNode({
      nodeId: this.id,
      nodes,
      keyFile: config.authkeyFile,
      heartbeatIntervalMs: config.timing.heartbeatIntervalMs,
      tokenTimeoutMs: config.timing.tokenTimeoutMs,
    });
    this.crm = await CrmNode.start<string>({
      nodeId: this.id,
      nodes,
      stateDir: join(stateDir, 'crm'),
      transport: this.messaging as unknown as CrmTransport,
      timing: { dcLeaseMs: config.timing.dcLeaseMs, electionTimeoutMs: config.timing.electionTimeoutMs },
      quorum: config.quorum,
      fence: async (id) => this.fenceNode(this.idToName.get(id) ?? String(id), 'reboot'),
    });
    this.registry = this.opts.fenceRegistry ?? defaultRegistry();
    this.registry.register(PROCESS_FENCE_TYPE, processFenceDevice, processFenceMetadata());
    this.fencer = new Fencer({ clock: systemClock, createDevice: registryDeviceFactory(this.registry) });
    this.executor = new AgentExecutor({
      nodeName: this.name,
      nodeId: String(this.id),
      stateDir: join(stateDir, 'agents'),
      attributes: this.attributeStore(),
      natives: builtinAgents(this.opts.natives ?? new NativeAgentRegistry()),
      cluster: {
        members: () => this.config.nodes.map((n) => ({ id: String(n.id), name: n.name, member: this.members.includes(n.name) })),
        hasQuorum: () => this.crm.status().quorum.quorate,
      },
    });
    await this.executor.start();
    this.lrm = new LocalResourceManager({ nodeName: this.name, nodeId: String(this.id), runner: this.executor });
    this.lrm.on('result', (r) => this.onLocalResult(r));
    this.messaging.on('message', (m) => {
      if (m.channel !== LRM_CHANNEL) return;
      let msg: LrmMessage;
      try {
        msg = JSON.parse(m.payload.toString('utf8')) as LrmMessage;
      } catch {
        this.log('warn', 'dropped an undecodable lrm message', { from: m.from });
        return;
      }
      void this.onLrmMessage(m.from, msg);
    });
    this.messaging.on('view', (v) => this.onView(v.members));
    this.crm.on('committed', (entry) => this.onCommitted(entry.doc));
    this.crm.on('event', (e) => {
      if (e.type === 'no-quorum' && !this.stopping) {
        if (this.selfFence) this.selfFence.setHealthy(false, 'quorum lost');
        else void this.applyNoQuorumPolicy();
      }
      if (e.type === 'quorum' && e.status.quorate) this.selfFence?.setHealthy(true, 'quorum regained');
      if (e.type === 'quorum' && this.actingDc) void this.dcWrite((root) => this.syncMembership(root)).then(() => this.loop?.poke('quorum changed'));
    });
    this.onView(this.messaging.view().members);
    // Acting-DC status changes with the lease clock, not only with events.
    this.watchdog = setInterval(() => this.checkDc(), 50);
    this.log('info', 'node started', { id: this.id, stateDir });
  }

  // ------------------------------------------------------------ queries

  status(): CrmNodeStatus {
    return this.crm.status();
  }

  /** The committed CIB as this node holds it, as XML. */
  cibXml(): string {
    return this.crm.cib();
  }

  cib(): Cib {
    return parseCib(this.crm.cib());
  }

  membership(): string[] {
    return [...this.members];
  }

  dcName(): string | null {
    const leader = this.crm.status().leader;
    return leader === null ? null : this.idToName.get(leader) ?? null;
  }

  isActingDc(): boolean {
    return this.actingDc;
  }

  /** The fencer's history (kept on the DC that did the fencing). */
  fencingHistory() {
    return this.fencer.history();
  }

  /**
   * Fence a node on request (vigil fence). Only the acting DC fences, so
   * that two nodes never race to power the same one off.
   */
  async fenceOnRequest(node: string, action: 'off' | 'reboot'): Promise<{ ok: boolean; message: string }> {
    if (!this.config.nodes.some((n) => n.name === node)) throw new DaemonError('VIGIL_CRM_UNKNOWN_NODE', `node '${node}' is not in the cluster`);
    if (!this.actingDc) throw new DaemonError('VIGIL_CRM_NOT_DC', `only the DC fences; ask ${this.dcName() ?? 'the DC (none right now)'}`);
    const ok = await this.fenceOnce(node, action);
    if (ok) {
      await this.dcWrite((root) => withNodeFenced(root, node));
      this.loop?.poke(`${node} fenced on request`);
    }
    const last = this.fencer.history(node).at(-1) as { reason?: string } | undefined;
    return { ok, message: ok ? `${node} fenced (${action})` : `fencing ${node} failed: ${last?.reason ?? 'no device succeeded'}` };
  }

  /**
   * An operator's word that a node is down (vigil fence confirm): recorded in
   * the fencing history as such, and the node is treated as fenced.
   */
  async confirmFenced(node: string, by: string): Promise<{ ok: boolean; message: string }> {
    if (!this.config.nodes.some((n) => n.name === node)) throw new DaemonError('VIGIL_CRM_UNKNOWN_NODE', `node '${node}' is not in the cluster`);
    if (!this.actingDc) throw new DaemonError('VIGIL_CRM_NOT_DC', `only the DC records fencing; ask ${this.dcName() ?? 'the DC (none right now)'}`);
    if (this.members.includes(node)) throw new DaemonError('VIGIL_CRM_EXEC_FAILED', `${node} is still a member of the cluster: it is not down`);
    this.fencer.confirm(node, by);
    this.fenceFailures.delete(node);
    this.confirmedDown.add(node);
    await this.dcWrite((root) => withNodeFenced(root, node));
    this.log('warn', `${node} confirmed down by ${by}`);
    this.loop?.poke(`${node} confirmed down`);
    return { ok: true, message: `${node} recorded as fenced on the word of ${by}` };
  }

  private readonly confirmedDown = new Set<string>();
  private selfFence: SelfFenceMonitor | undefined;
  private watchdogFencingMs: number | undefined;

  /**
   * With stonith-watchdog-timeout set, every node arms a watchdog: losing
   * quorum it stops its resources, and if that does not finish in time it
   * stops feeding the watchdog, which kills the daemon. The DC may then
   * treat a lost node as fenced once stonith-watchdog-timeout has passed.
   */
  private updateWatchdog(cib: Cib): void {
    let effective: number | undefined;
    const wdMs = this.opts.watchdogTimeoutMs ?? 5_000;
    try {
      const cfg = fencerConfigFromCib(cib, { nowSec: Math.floor(Date.now() / 1000) });
      effective = effectiveStonithWatchdogTimeoutMs(cfg.stonithWatchdogTimeoutMs, wdMs);
    } catch (err) {
      this.log('error', `watchdog fencing not enabled: ${(err as Error).message}`);
      effective = undefined;
    }
    if (effective === this.watchdogFencingMs) return;
    this.watchdogFencingMs = effective;
    // The DC's view: a node without a device answer counts as fenced after the timeout.
    this.fencer = new Fencer({
      clock: systemClock,
      createDevice: registryDeviceFactory(this.registry),
      ...(effective !== undefined ? { watchdog: { timeoutMs: effective, covers: () => true } } : {}),
    });
    if (effective !== undefined && !this.selfFence) {
      const monitor = new SelfFenceMonitor({
        clock: systemClock,
        watchdog: new ProcessWatchdog(wdMs, process.pid),
        stopResources: () => this.stopEverythingHere(),
        // Stopping plus the watchdog firing must fit in what the DC waits.
        stopDeadlineMs: Math.max(1, effective - wdMs),
        onStateChange: (state, reason) => this.log(state === 'resetting' ? 'error' : 'info', `watchdog: ${state} (${reason})`),
      });
      this.selfFence = monitor;
      monitor.start().then(
        () => this.log('info', `watchdog armed (${wdMs} ms); watchdog fencing after ${effective} ms`),
        (err: Error) => this.log('error', `watchdog could not be armed: ${err.message}`),
      );
    }
  }

  private async stopEverythingHere(): Promise<void> {
    await Promise.all([...this.activeHereNow.values()].map(({ rsc }) => this.runLocally({ t: 'exec', id: this.nextExecId++, rsc, task: 'stop', intervalMs: 0, timeoutMs: 20_000, key: '0:0:0:watchdog' })));
    if (this.activeHereNow.size > 0) throw new Error(`${this.activeHereNow.size} resource(s) did not stop`);
  }

  // ------------------------------------------------------------ changes

  /**
   * Replace the configuration (through the DC), as `cibadmin --replace`
   * does: the live status section and the DC's own root attributes are kept,
   * since they describe the running cluster, not the configuration. With
   * `expected`, refused unless the CIB is still at that version.
   */
  replaceCib(xml: string, expected?: { adminEpoch: number; epoch: number; numUpdates: number }) {
    // One proposal from this node at a time: the DC deduplicates retried
    // proposals by sequence number, so they must not overtake each other.
    return this.serialized(() => this.replaceCibNow(xml, expected));
  }

  private async replaceCibNow(xml: string, expected?: { adminEpoch: number; epoch: number; numUpdates: number }) {
    const given = parseXml(xml);
    for (let attempt = 0; ; attempt++) {
      const live = parseXml(this.crm.cib());
      const attrs: Record<string, string> = { ...given.attrs };
      for (const k of ['have-quorum', 'dc-uuid']) if (live.attrs[k] !== undefined) attrs[k] = live.attrs[k]!;
      if (!expected) {
        // Without a condition, a configuration change becomes the next epoch.
        const cur = this.crm.status().committed.version;
        const g = { adminEpoch: Number(given.attrs['admin_epoch'] ?? 0), epoch: Number(given.attrs['epoch'] ?? 0) };
        if (g.adminEpoch < cur.adminEpoch || (g.adminEpoch === cur.adminEpoch && g.epoch <= cur.epoch)) {
          attrs['admin_epoch'] = String(cur.adminEpoch);
          attrs['epoch'] = String(cur.epoch);
        }
      }
      const status = live.children.find((c) => c.name === 'status') ?? { name: 'status', attrs: {}, children: [] };
      const merged: XmlElement = { ...given, attrs, children: [...given.children.filter((c) => c.name !== 'status'), status] };
      const res = await this.crm.replace(serializeXml(merged), expected);
      this.log('info', 'configuration replace', { attempt, epoch: attrs['epoch'], ok: res.ok, ...(res.ok ? { version: res.version } : { code: res.code }) });
      // This node's copy may lag the DC's by a commit: re-read and retry.
      if (!res.ok && !expected && res.code === 'VIGIL_CRM_OLDER_VERSION' && attempt < 10) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      return res;
    }
  }

  /**
   * Apply an edit to the newest CIB and commit it through the DC, retrying if
   * the CIB moved underneath. Writes from this node are serialized: each
   * waits for the one before it to settle.
   */
  editCib(mutate: (root: XmlElement) => XmlElement): Promise<{ adminEpoch: number; epoch: number; numUpdates: number }> {
    return this.serialized(() => this.editCibNow(mutate, false));
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(fn);
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  private async editCibNow(mutate: (root: XmlElement) => XmlElement, own: boolean): Promise<{ adminEpoch: number; epoch: number; numUpdates: number }> {
    this.writesInFlight++;
    try {
      return await this.editCibOnce(mutate, own);
    } finally {
      this.writesInFlight--;
      if (this.writesInFlight === 0) for (const v of this.committedDuringWrite.splice(0)) this.judgeCommitted(v);
    }
  }

  /** `own`: a write the DC makes as part of its own bookkeeping (it does not make the DC reschedule). */
  private async editCibOnce(mutate: (root: XmlElement) => XmlElement, own: boolean): Promise<{ adminEpoch: number; epoch: number; numUpdates: number }> {
    let lastRefusal = '';
    for (let attempt = 0; attempt < 8; attempt++) {
      const doc = this.crm.cib();
      const root = parseXml(doc);
      const next = mutate(root);
      const text = serializeXml(next);
      const v = this.crm.status().committed.version;
      if (text === serializeXml(root)) return v;
      const res = await this.crm.replace(text, v);
      if (res.ok) {
        if (own) this.ownVersions.add(`${res.version.adminEpoch}.${res.version.epoch}.${res.version.numUpdates}`);
        return res.version;
      }
      if (res.code !== 'VIGIL_CRM_STALE_VERSION') throw new DaemonError('VIGIL_CRM_WRITE_CONFLICT', `${res.code}: ${res.message}`);
      lastRefusal = res.message;
      await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
    }
    throw new DaemonError('VIGIL_CRM_WRITE_CONFLICT', `the CIB kept changing; the edit was not applied after 8 attempts (${lastRefusal})`);
  }

  setNodeAttribute(node: string, name: string, value: string | null): void {
    this.crm.setAttribute(node, name, value);
  }

  private attributeStore(): AttributeStore {
    return {
      get: async (node, name) => transientAttribute(parseXml(this.crm.cib()), node, name),
      set: async (node, name, value) => this.crm.setAttribute(node, name, value),
      delete: async (node, name) => this.crm.setAttribute(node, name, null),
    };
  }

  // ------------------------------------------------------------ membership and DC

  private onView(ids: number[]): void {
    this.members = ids.map((i) => this.idToName.get(i) ?? String(i)).sort();
    // An action sent to a node that has left will never be answered: give
    // up on it now, so the transition can end and recovery can start.
    for (const [id, p] of this.pendingExec) {
      if (this.members.includes(p.node)) continue;
      clearTimeout(p.timer);
      this.pendingExec.delete(id);
      p.resolve({ ...this.failedReply(p.req, `${p.node} left the cluster before answering`, NOT_CONNECTED), lost: true });
    }
    this.emit('membership', [...this.members]);
    if (this.actingDc) void this.dcWrite((root) => this.syncMembership(root)).then(() => this.loop?.poke('membership changed'));
  }

  private checkDc(): void {
    if (this.stopped) return;
    const st = this.crm.status();
    const acting = st.actingDc && !this.stopped;
    const dc = st.leader === null ? null : this.idToName.get(st.leader) ?? null;
    if (dc !== this.lastDc) {
      this.lastDc = dc;
      this.emit('dc', dc);
    }
    if (acting && !this.actingDc) this.becomeDc();
    else if (!acting && this.actingDc) this.resignDc();
  }

  private becomeDc(): void {
    this.actingDc = true;
    this.log('info', 'acting as DC');
    this.syncedMembers = new Set();
    this.loop = new ControlLoop(
      {
        cib: () => parseCib(this.crm.cib()),
        expectedRc: (a) => this.expectedRc(a),
        hold: () => (this.joining.size > 0 ? `waiting for ${[...this.joining].join(', ')} to join` : undefined),
        nowSec: () => Math.floor(Date.now() / 1000),
        execute: (a, key) => this.executeAction(a, key),
        fence: (node, action) => this.fenceNode(node, action),
        recordFenced: (node) => this.dcWrite((root) => withNodeFenced(root, node)),
        recordFailure: (node, rsc, task, intervalMs, startFailure) => this.recordFailure(node, rsc, task, intervalMs, startFailure),
      },
      this.name,
    );
    this.loop.on('transition', (r) => {
      this.log('info', 'transition finished', { ...r });
      this.emit('transition', r);
    });
    this.loop.on('error', (err) => this.log('error', `control loop: ${err.message}`));
    void this.dcWrite((root) => this.syncMembership(root)).then(() => this.loop?.poke('became DC'));
  }

  private readonly joining = new Set<string>();

  /** Ask a node that (re)joined for its resource history; until it answers, nothing is scheduled. */
  private async requestJoin(node: string): Promise<void> {
    if (node === this.name) {
      await this.acceptJoin(node, this.lrm.toXml());
      return;
    }
    const to = this.nameToId.get(node)!;
    for (let attempt = 0; attempt < 20 && this.joining.has(node) && this.actingDc; attempt++) {
      await this.messaging.send(to, LRM_CHANNEL, JSON.stringify({ t: 'join-req' } satisfies JoinRequest)).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private async acceptJoin(node: string, lrmXml: string): Promise<void> {
    if (!this.joining.delete(node)) return;
    let lrm: XmlElement;
    try {
      lrm = parseXml(lrmXml);
    } catch {
      this.log('warn', `${node} sent a history that does not parse; it will be probed`);
      lrm = { name: 'lrm', attrs: { id: String(this.nameToId.get(node)) }, children: [{ name: 'lrm_resources', attrs: {}, children: [] }] };
    }
    await this.dcWrite((root) => withNodeHistory(root, node, lrm));
    this.log('info', `${node} joined with its resource history`);
    this.loop?.poke(`${node} joined`);
  }

  private resignDc(): void {
    this.actingDc = false;
    this.log('warn', 'no longer acting as DC');
    this.loop?.stop();
    this.loop = undefined;
  }

  /**
   * Record membership in node_state: members are online; a node that has
   * just (re)joined gets its resource history cleared so that probes find
   * out afresh what it runs; a member that left without asking to shut down
   * stays "expected member", which the scheduler treats as lost (fence it).
   */
  private syncMembership(root: XmlElement): XmlElement {
    const quorate = this.crm.status().quorum.quorate;
    let next: XmlElement = { ...root, attrs: { ...root.attrs, 'have-quorum': String(quorate), 'dc-uuid': String(this.id) } };
    const status = root.children.find((c) => c.name === 'status');
    for (const n of this.config.nodes) {
      const state = status?.children.find((s) => s.name === 'node_state' && (s.attrs['uname'] === n.name || s.attrs['id'] === String(n.id)));
      const member = this.members.includes(n.name);
      if (member) {
        if (!this.syncedMembers.has(n.name)) {
          // Its history is whatever its own resource manager says: ask it.
          this.syncedMembers.add(n.name);
          this.joining.add(n.name);
          void this.requestJoin(n.name);
        }
        next = withMembership(next, n.name, { inCluster: true, peerUp: true, join: 'member', expected: 'member' });
      } else {
        this.syncedMembers.delete(n.name);
        if (!state) {
          // Never part of this cluster: nothing can be running there.
          next = withMembership(next, n.name, { inCluster: false, peerUp: false, join: 'down', expected: 'down' });
        } else if (state.attrs['in_ccm'] === 'true') {
          const leaving = transientAttribute(root, n.name, 'shutdown') !== undefined;
          next = withMembership(next, n.name, { inCluster: false, peerUp: false, join: 'down', expected: leaving ? 'down' : 'member' });
        }
      }
    }
    return next;
  }

  // ------------------------------------------------------------ DC writes

  /** Serialize the DC's own CIB writes so they never race each other. */
  private dcWrite(mutate: (root: XmlElement) => XmlElement): Promise<void> {
    // Never rejects: a failed bookkeeping write is logged, and the next
    // schedule (from the CIB as committed) repeats whatever it missed.
    return this.serialized(() => this.editCibNow(mutate, true)).then(
      () => undefined,
      (err: Error) => this.log('error', `CIB write failed: ${err.message}`),
    );
  }

  private writesInFlight = 0;
  private readonly committedDuringWrite: string[] = [];

  private onCommitted(doc: string): void {
    let version = '';
    try {
      const attrs = parseXml(doc).attrs;
      version = `${attrs['admin_epoch'] ?? 0}.${attrs['epoch'] ?? 0}.${attrs['num_updates'] ?? 0}`;
    } catch {
      return;
    }
    this.emit('committed', version);
    try {
      this.updateWatchdog(parseCib(doc));
    } catch {
      /* an unparsable CIB is refused before commit; nothing to do */
    }
    if (!this.actingDc) return;
    // Our own write may commit before its proposal resolves: decide once it has.
    if (this.writesInFlight > 0) {
      this.committedDuringWrite.push(version);
      return;
    }
    this.judgeCommitted(version);
  }

  private judgeCommitted(version: string): void {
    if (this.ownVersions.delete(version)) return;
    // Someone else changed the CIB: re-assert what the DC owns (quorum,
    // membership), then reschedule.
    void this.dcWrite((root) => this.syncMembership(root)).then(() => this.loop?.poke('CIB changed'));
  }

  private recordFailure(node: string, resourceId: string, task: string, intervalMs: number, startFailure: boolean): Promise<void> {
    const rsc = this.lrmIdOf(resourceId);
    const name = `fail-count-${rsc}#${task}_${intervalMs}`;
    return this.dcWrite((root) => {
      const cur = transientAttribute(root, node, name);
      const n = cur === undefined ? 0 : cur === 'INFINITY' ? Infinity : Number(cur) || 0;
      const value = startFailure ? 'INFINITY' : Number.isFinite(n + 1) ? String(n + 1) : 'INFINITY';
      const withCount = setTransientAttribute(root, node, name, value);
      return setTransientAttribute(withCount, node, `last-failure-${rsc}#${task}_${intervalMs}`, String(Math.floor(Date.now() / 1000)));
    });
  }

  private readonly fenceFailures = new Map<string, { count: number; atMs: number }>();

  private async fenceNode(node: string, action: string): Promise<boolean> {
    // A failing device is retried, but not in a tight loop: back off 1 s,
    // 2 s, 4 s ... up to 30 s between attempts.
    const failed = this.fenceFailures.get(node);
    if (failed) {
      const until = failed.atMs + Math.min(30_000, 1000 * 2 ** (failed.count - 1));
      while (Date.now() < until && !this.confirmedDown.has(node)) await new Promise((r) => setTimeout(r, 100));
    }
    if (this.confirmedDown.delete(node)) return true;
    const ok = await this.fenceOnce(node, action);
    if (ok) this.fenceFailures.delete(node);
    else this.fenceFailures.set(node, { count: (failed?.count ?? 0) + 1, atMs: Date.now() });
    return ok;
  }

  private async fenceOnce(node: string, action: string): Promise<boolean> {
    const started = Date.now();
    try {
      const cib = parseCib(this.crm.cib());
      const cfg = fencerConfigFromCib(cib, { nowSec: Math.floor(Date.now() / 1000) });
      this.fencer.configure(cfg);
      const res = await this.fencer.fence({ target: node, action: action === 'off' ? 'off' : 'reboot', origin: this.name, timeoutMs: cfg.fencingTimeoutMs });
      this.emit('fencing', { target: node, ok: res.ok, ms: Date.now() - started });
      this.log(res.ok ? 'info' : 'error', res.ok ? `fenced ${node}` : `fencing ${node} failed: ${res.entry.reason ?? 'no device succeeded'}`);
      return res.ok;
    } catch (err) {
      this.log('error', `fencing ${node} failed: ${(err as Error).message}`);
      this.emit('fencing', { target: node, ok: false, ms: Date.now() - started });
      return false;
    }
  }

  // ------------------------------------------------------------ actions

  private resourceDef(cib: Cib, resourceId: string): ExecRequest['rsc'] {
    const ws = unpack(cib, Math.floor(Date.now() / 1000));
    const p = ws.primitives.find((x) => x.id === resourceId);
    if (!p) throw new DaemonError('VIGIL_CRM_UNKNOWN_RESOURCE', `resource '${resourceId}' is not in the CIB`);
    const def: Primitive = p.def;
    // The scheduler's own parameter set (a group's or clone's instance
    // attributes included): the digest it expects is over exactly these.
    const params = { ...p.params };
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.meta)) meta[k.replace(/-/g, '_')] = v;
    const clone = p.parent?.variant === 'clone' ? p.parent : p.parent?.parent?.variant === 'clone' ? p.parent.parent : undefined;
    if (clone?.variant === 'clone') {
      meta['clone_max'] = String(clone.cloneMax);
      meta['clone_node_max'] = String(clone.cloneNodeMax);
      meta['globally_unique'] = String(clone.unique);
      if (p.instance !== undefined) meta['clone'] = String(p.instance);
      if (clone.promotable) {
        meta['promoted_max'] = String(clone.promotedMax);
        meta['promoted_node_max'] = String(clone.promotedNodeMax);
      }
    }
    // Instances of an anonymous clone are interchangeable: a node knows the
    // resource by its configured id, the instance number is the scheduler's.
    const lrmId = clone?.variant === 'clone' && !clone.unique ? p.baseId : p.id;
    return { id: lrmId, class: def.class, ...(def.provider ? { provider: def.provider } : {}), type: def.type, params, meta };
  }

  /** The id a node's resource manager knows a scheduler resource by. */
  private lrmIdOf(resourceId: string): string {
    try {
      return this.resourceDef(parseCib(this.crm.cib()), resourceId).id;
    } catch {
      return resourceId;
    }
  }

  /**
   * A probe's answer is information; a monitor of the Promoted role must
   * answer "running promoted" (8); everything else must succeed (0).
   */
  private expectedRc(a: GraphAction): number | undefined {
    if (a.task !== 'monitor') return 0;
    if (a.intervalMs === 0) return undefined;
    const cib = parseCib(this.crm.cib());
    const p = unpack(cib, Math.floor(Date.now() / 1000)).primitives.find((x) => x.id === a.resource);
    const op = p?.ops.find((o) => o.name === 'monitor' && o.intervalMs === a.intervalMs);
    return op?.role === 'Promoted' ? 8 : 0;
  }

  private async executeAction(a: GraphAction, key: string): Promise<ActionOutcome> {
    const node = a.node!;
    const cib = parseCib(this.crm.cib());
    const rsc = this.resourceDef(cib, a.resource!);
    const req: ExecRequest = {
      t: 'exec',
      id: this.nextExecId++,
      rsc: { ...rsc, meta: { ...rsc.meta, ...Object.fromEntries(Object.entries(a.meta).map(([k, v]) => [k.replace(/-/g, '_'), v])) } },
      task: a.task,
      intervalMs: a.intervalMs,
      timeoutMs: a.timeoutMs,
      key,
      ...(this.expectedRc(a) !== undefined ? { expectedRc: this.expectedRc(a)! } : {}),
    };
    let reply: ExecReply;
    if (node === this.name) reply = await this.runLocally(req);
    else reply = await this.runRemotely(node, req, a.timeoutMs);
    if (reply.lost) return { rc: reply.rc, opStatus: reply.opStatus, ...(reply.exitReason ? { exitReason: reply.exitReason } : {}) };
    const roleChanged = (a.task === 'promote' || a.task === 'demote' || a.task === 'stop') && reply.opStatus === 0;
    await this.dcWrite((root) => {
      const cleaned = roleChanged ? withoutRecurringRecords(root, node, rsc.id) : root;
      return withOpRecord(cleaned, node, { id: rsc.id, class: rsc.class, ...(rsc.provider ? { provider: rsc.provider } : {}), type: rsc.type }, reply.record);
    });
    this.emit('result', { node, resource: rsc.id, task: a.task, intervalMs: a.intervalMs, rc: reply.rc, opStatus: reply.opStatus });
    return { rc: reply.rc, opStatus: reply.opStatus, ...(reply.exitReason ? { exitReason: reply.exitReason } : {}) };
  }

  private runRemotely(node: string, req: ExecRequest, timeoutMs: number): Promise<ExecReply> {
    const to = this.nameToId.get(node);
    if (to === undefined) return Promise.resolve(this.failedReply(req, `unknown node ${node}`));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingExec.delete(req.id);
        resolve(this.failedReply(req, `no answer from ${node} within ${timeoutMs + EXEC_REPLY_GRACE_MS} ms`, 2));
      }, timeoutMs + EXEC_REPLY_GRACE_MS);
      this.pendingExec.set(req.id, { node, req, resolve, timer });
      this.messaging.send(to, LRM_CHANNEL, JSON.stringify(req)).catch((err: Error) => {
        clearTimeout(timer);
        this.pendingExec.delete(req.id);
        // Unreachable: nothing is known about the action, it is not a failure of the resource.
        resolve({ ...this.failedReply(req, `cannot reach ${node}: ${err.message}`, NOT_CONNECTED), lost: true });
      });
    });
  }

  private failedReply(req: ExecRequest, reason: string, opStatus = 4): ExecReply {
    const now = Math.floor(Date.now() / 1000);
    return {
      t: 'done',
      id: req.id,
      rc: 1,
      opStatus,
      exitReason: reason,
      record: {
        id: req.intervalMs > 0 ? `${req.rsc.id}_${req.task}_${req.intervalMs}` : `${req.rsc.id}_last_failure_0`,
        operation_key: `${req.rsc.id}_${req.task}_${req.intervalMs}`,
        operation: req.task,
        'transition-key': req.key,
        'call-id': '-1',
        'rc-code': '1',
        'op-status': String(opStatus),
        interval: String(req.intervalMs),
        'last-rc-change': String(now),
        'exit-reason': reason,
        on_node: this.name,
      },
    };
  }

  /** Run an action here, for the DC (locally or on its request). */
  private async runLocally(req: ExecRequest): Promise<ExecReply> {
    if (req.rsc.class === 'stonith') return this.stonithAction(req);
    // Native (in-process) agents are written in the CIB as ocf:vigil:NAME,
    // so the CIB still validates against Pacemaker's schema.
    const native = req.rsc.class === 'ocf' && req.rsc.provider === 'vigil' && this.opts.natives?.get(req.rsc.type) !== undefined;
    const agent = native
      ? { class: 'native' as AgentClass, type: req.rsc.type }
      : { class: req.rsc.class as AgentClass, ...(req.rsc.provider ? { provider: req.rsc.provider } : {}), type: req.rsc.type };
    try {
      const r = await this.lrm.exec({
        resource: { id: req.rsc.id, agent, params: req.rsc.params, meta: req.rsc.meta },
        action: req.task,
        intervalMs: req.intervalMs,
        timeoutMs: req.timeoutMs,
        transitionKey: req.key,
        ...(req.expectedRc !== undefined ? { expectedRc: req.expectedRc } : {}),
      });
      if ((req.task === 'promote' || req.task === 'demote') && r.opStatus === 0) {
        // The monitors of the old role would now report a "wrong" role.
        this.lrm.cancelAll(req.rsc.id);
        for (const k of [...this.recurringReported]) if (k.startsWith(`${req.rsc.id}_`)) this.recurringReported.delete(k);
      }
      if (req.intervalMs > 0) this.recurringReported.add(`${req.rsc.id}_${req.task}_${req.intervalMs}`);
      if (req.task === 'stop') for (const k of [...this.recurringReported]) if (k.startsWith(`${req.rsc.id}_`)) this.recurringReported.delete(k);
      this.recurringDefs.set(req.rsc.id, req.rsc);
      if (r.opStatus === 0 && r.rc === 0) this.noteActive(req);
      return { t: 'done', id: req.id, rc: r.rc, opStatus: r.opStatus, ...(r.exitReason ? { exitReason: r.exitReason } : {}), record: Object.fromEntries(opRecordAttributes(r.record)) };
    } catch (err) {
      return this.failedReply(req, (err as Error).message);
    }
  }

  private readonly recurringDefs = new Map<string, ExecRequest['rsc']>();
  /** What runs here and in which role, for acting alone when quorum is lost. */
  private readonly activeHereNow = new Map<string, { rsc: ExecRequest['rsc']; promoted: boolean }>();

  private noteActive(req: ExecRequest): void {
    const id = req.rsc.id;
    switch (req.task) {
      case 'start':
      case 'migrate_from':
        this.activeHereNow.set(id, { rsc: req.rsc, promoted: false });
        break;
      case 'promote':
        this.activeHereNow.set(id, { rsc: req.rsc, promoted: true });
        break;
      case 'demote':
        this.activeHereNow.set(id, { rsc: req.rsc, promoted: false });
        break;
      case 'stop':
      case 'migrate_to':
        this.activeHereNow.delete(id);
        break;
      default:
        break;
    }
  }

  /**
   * Quorum is lost: no DC will decide for this partition, so this node
   * applies no-quorum-policy to what it runs by itself. stop (the
   * default) stops everything here, demote demotes, freeze and ignore keep
   * things as they are, suicide and fence stop everything and then ask the
   * owner to take the node down.
   */
  private async applyNoQuorumPolicy(): Promise<void> {
    let policy = 'stop';
    try {
      policy = unpack(parseCib(this.crm.cib()), Math.floor(Date.now() / 1000)).options.noQuorumPolicy;
    } catch {
      /* keep the safe default */
    }
    this.log('warn', `quorum lost: applying no-quorum-policy=${policy} to ${this.activeHereNow.size} local resource(s)`);
    if (policy === 'freeze' || policy === 'ignore') return;
    const work = [...this.activeHereNow.values()].map(async ({ rsc, promoted }) => {
      if (policy === 'demote') {
        if (!promoted) return;
        await this.runLocally({ t: 'exec', id: this.nextExecId++, rsc, task: 'demote', intervalMs: 0, timeoutMs: 20_000, key: `0:0:0:no-quorum` });
        return;
      }
      await this.runLocally({ t: 'exec', id: this.nextExecId++, rsc, task: 'stop', intervalMs: 0, timeoutMs: 20_000, key: `0:0:0:no-quorum` });
    });
    await Promise.all(work);
    this.emit('quorumLost', { policy, stopped: policy !== 'demote' });
    this.log('warn', `no-quorum-policy=${policy} applied; ${this.activeHereNow.size} resource(s) still active here`);
    if (policy === 'suicide' || policy === 'fence') this.emit('selfFence', `no quorum (no-quorum-policy=${policy})`);
  }

  /** Fence devices are registered, not run: start/stop only mark them usable here. */
  private stonithAction(req: ExecRequest): ExecReply {
    let rc = 0;
    if (req.task === 'start') this.stonithActive.add(req.rsc.id);
    else if (req.task === 'stop') this.stonithActive.delete(req.rsc.id);
    else if (req.task === 'monitor') rc = this.stonithActive.has(req.rsc.id) ? 0 : 7;
    const now = Math.floor(Date.now() / 1000);
    return {
      t: 'done',
      id: req.id,
      rc,
      opStatus: 0,
      record: {
        id: req.intervalMs > 0 ? `${req.rsc.id}_monitor_${req.intervalMs}` : `${req.rsc.id}_last_0`,
        operation_key: `${req.rsc.id}_${req.task}_${req.intervalMs}`,
        operation: req.task,
        'transition-key': req.key,
        'call-id': String(this.nextExecId++),
        'rc-code': String(rc),
        'op-status': '0',
        interval: String(req.intervalMs),
        'last-rc-change': String(now),
        'last-run': String(now),
        'exec-time': '0',
        'queue-time': '0',
        on_node: this.name,
      },
    };
  }

  /** A recurring monitor changed its answer: tell the DC. */
  private onLocalResult(r: OpResult): void {
    if (r.intervalMs <= 0) return;
    const k = `${r.resourceId}_${r.action}_${r.intervalMs}`;
    if (!this.recurringReported.has(k)) return;
    const rsc = this.recurringDefs.get(r.resourceId);
    if (!rsc) return;
    const report: OpReport = { t: 'op', rsc, rc: r.rc, opStatus: r.opStatus, failed: r.failed, task: r.action, intervalMs: r.intervalMs, record: Object.fromEntries(opRecordAttributes(r.record)) };
    this.log(r.failed ? 'warn' : 'info', `${r.resourceId} ${r.action} every ${r.intervalMs} ms now returns rc=${r.rc}`);
    if (this.actingDc) void this.recordReport(this.name, report);
    else {
      const dc = this.crm.status().leader;
      if (dc !== null) void this.messaging.send(dc, LRM_CHANNEL, JSON.stringify(report)).catch(() => undefined);
    }
  }

  private async recordReport(node: string, report: OpReport): Promise<void> {
    const { rsc } = report;
    await this.dcWrite((root) => withOpRecord(root, node, { id: rsc.id, class: rsc.class, ...(rsc.provider ? { provider: rsc.provider } : {}), type: rsc.type }, report.record));
    this.emit('result', { node, resource: rsc.id, task: report.task, intervalMs: report.intervalMs, rc: report.rc, opStatus: report.opStatus });
    if (report.failed) await this.recordFailure(node, rsc.id, report.task, report.intervalMs, false);
    this.loop?.poke(`${rsc.id} ${report.task} failed on ${node}`);
  }

  private async onLrmMessage(from: number, msg: LrmMessage): Promise<void> {
    const fromName = this.idToName.get(from) ?? String(from);
    if (msg.t === 'exec') {
      const reply = await this.runLocally(msg);
      await this.messaging.send(from, LRM_CHANNEL, JSON.stringify(reply)).catch((err: Error) => this.log('warn', `cannot answer ${fromName}: ${err.message}`));
    } else if (msg.t === 'done') {
      const p = this.pendingExec.get(msg.id);
      if (!p) return;
      clearTimeout(p.timer);
      this.pendingExec.delete(msg.id);
      p.resolve(msg);
    } else if (msg.t === 'op' && this.actingDc) {
      await this.recordReport(fromName, msg);
    } else if (msg.t === 'join-req') {
      const reply: JoinReply = { t: 'join', lrm: this.lrm.toXml() };
      await this.messaging.send(from, LRM_CHANNEL, JSON.stringify(reply)).catch(() => undefined);
    } else if (msg.t === 'join' && this.actingDc) {
      await this.acceptJoin(fromName, msg.lrm);
    }
  }

  // ------------------------------------------------------------ shutdown

  /** Resources the CIB says run on this node. */
  activeHere(): string[] {
    const ws = unpack(parseCib(this.crm.cib()), Math.floor(Date.now() / 1000));
    return ws.primitives.filter((p) => p.runningOn.some((n) => n.name === this.name)).map((p) => p.id);
  }

  /**
   * Leave the cluster. With `graceful`, first ask the DC to move this node's
   * resources away (the "shutdown" attribute, as Pacemaker does) and wait
   * until nothing runs here or `timeoutMs` passes.
   */
  async stop(opts: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (opts.graceful && this.members.length > 1) {
      this.crm.setAttribute(this.name, 'shutdown', String(Math.floor(Date.now() / 1000)));
      const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
      while (Date.now() < deadline && this.activeHere().length > 0) await new Promise((r) => setTimeout(r, 100));
    }
    this.stopped = true;
    await this.selfFence?.shutdown().catch(() => undefined);
    if (this.watchdog) clearInterval(this.watchdog);
    this.loop?.stop();
    for (const p of this.pendingExec.values()) clearTimeout(p.timer);
    this.lrm.close();
    await this.crm.stop();
    await this.executor.close();
    rmSync(join(this.opts.stateDir, 'vigil.pid'), { force: true });
    this.log('info', 'node stopped');
  }
}
