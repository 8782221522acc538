/**
 * A crm node as a real process, for loopback tests. argv[2] is a JSON config;
 * stdin takes one JSON command per line and stdout answers one JSON line each:
 *   {"id":1,"cmd":"status"} · {"id":2,"cmd":"set-attr","node":"n1","name":"x","value":"1"}
 *   {"id":3,"cmd":"cib"} · {"cmd":"fenced","node":2}
 * A fence request is printed as {"event":"fence","node":N}; the test, acting as
 * the fencer, kills that process and answers with "fenced".
 */
import { createInterface } from 'node:readline';
import { CrmNode } from '../node.js';
import type { QuorumConfig } from '../quorum.js';

interface ProcConfig {
  nodeId: number;
  nodes: { id: number; name: string; links: { addr: string; port: number }[]; votes?: number }[];
  stateDir: string;
  keyHex: string;
  quorum?: Omit<QuorumConfig, 'nodes'>;
  timing?: Record<string, number>;
  messaging?: { heartbeatIntervalMs?: number; tokenTimeoutMs?: number };
}

const out = (value: unknown): void => {
  process.stdout.write(JSON.stringify(value) + '\n');
};

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ProcConfig;
  const fenceWaiters = new Map<number, (ok: boolean) => void>();
  const node = await CrmNode.start({
    nodeId: config.nodeId,
    nodes: config.nodes,
    stateDir: config.stateDir,
    key: Buffer.from(config.keyHex, 'hex'),
    ...(config.quorum ? { quorum: config.quorum } : {}),
    ...(config.timing ? { timing: config.timing } : {}),
    ...(config.messaging ? { messaging: config.messaging } : {}),
    fence: (target) =>
      new Promise<boolean>((resolve) => {
        fenceWaiters.set(target, resolve);
        out({ event: 'fence', node: target });
      }),
  });
  node.on('error', (error) => out({ event: 'error', message: error.message }));
  out({ event: 'started', node: config.nodeId, notes: node.storeNotes });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const cmd = JSON.parse(line) as { id?: number; cmd: string; node?: string | number; name?: string; value?: string | null };
    if (cmd.cmd === 'status') out({ id: cmd.id, status: node.status() });
    else if (cmd.cmd === 'cib') out({ id: cmd.id, cib: node.cib() });
    else if (cmd.cmd === 'set-attr') {
      void node.propose({ kind: 'attribute', node: String(cmd.node), name: String(cmd.name), value: cmd.value ?? null }).then((result) => out({ id: cmd.id, result }));
    } else if (cmd.cmd === 'fenced') {
      fenceWaiters.get(Number(cmd.node))?.(true);
      fenceWaiters.delete(Number(cmd.node));
    } else if (cmd.cmd === 'stop') {
      void node.stop().then(() => process.exit(0));
    }
  });
  lines.on('close', () => void node.stop().then(() => process.exit(0)));
}

main().catch((error: Error) => {
  process.stderr.write(`crm-proc: ${error.message}\n`);
  process.exit(1);
});
