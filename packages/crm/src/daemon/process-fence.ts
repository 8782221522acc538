/**
 * A stand-in fence device for clusters whose nodes are daemons on one
 * machine (the demo, end-to-end tests): "powering off" a node means
 * SIGKILLing its daemon and confirming the process is gone. It refuses to
 * report success unless the process is confirmed dead, like a real device.
 */
import { readFileSync } from 'node:fs';
import type { DeviceMetadata, DeviceParams, FenceDevice, PowerState } from '@vigil/stonith';

export const PROCESS_FENCE_TYPE = 'fence_vigil_process';

const METADATA: DeviceMetadata = {
  name: PROCESS_FENCE_TYPE,
  shortdesc: 'Kill a local Vigil daemon (test and demo stand-in for a power switch)',
  parameters: [
    { name: 'pid_file', required: true, type: 'string', description: 'Path of the target daemon pid file; {node} is replaced by the node name' },
  ],
  actions: ['off', 'reboot', 'status', 'list', 'monitor', 'metadata'],
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in the file, if it still names a vigil daemon for that node. */
function daemonPid(pattern: string, node: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(pattern.replace(/\{node\}/g, node), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // A recycled pid belongs to someone else: never kill it.
    if (!cmdline.includes('daemon') || !cmdline.includes(node)) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

async function waitDead(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !alive(pid);
}

export function processFenceDevice(params: DeviceParams): FenceDevice {
  const pattern = params['pid_file'];
  const kill = async (plug: string | undefined): Promise<void> => {
    if (!pattern) throw new Error(`${PROCESS_FENCE_TYPE}: parameter pid_file is required`);
    if (!plug) throw new Error(`${PROCESS_FENCE_TYPE}: no target node given`);
    const pid = daemonPid(pattern, plug);
    if (pid === undefined) return; // no daemon of that node is running: it is off
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
    if (!(await waitDead(pid, 5_000))) throw new Error(`${PROCESS_FENCE_TYPE}: daemon of ${plug} (pid ${pid}) did not die`);
  };
  return {
    type: PROCESS_FENCE_TYPE,
    off: async (opts) => kill(opts?.plug),
    reboot: async (opts) => kill(opts?.plug),
    on: async () => {
      throw new Error(`${PROCESS_FENCE_TYPE}: cannot start a daemon (on is not supported)`);
    },
    status: async (opts): Promise<PowerState> => (pattern && opts?.plug && daemonPid(pattern, opts.plug) !== undefined ? 'on' : 'off'),
    list: async () => [],
    monitor: async () => {
      if (!pattern) throw new Error(`${PROCESS_FENCE_TYPE}: parameter pid_file is required`);
    },
    metadata: async () => METADATA,
  };
}

export function processFenceMetadata(): DeviceMetadata {
  return METADATA;
}
