import { OcfRc } from './codes.js';
import type { AgentMetadata } from './metadata.js';

/**
 * LSB init scripts: "monitor" is the script's "status", and status uses its
 * own codes (0 running, 1 dead with pid file, 2 dead with lock file,
 * 3 not running, 4 unknown). Other actions use 0-7 with the same meaning as
 * OCF; anything above is a generic error.
 */
export function lsbScriptAction(action: string): string | undefined {
  switch (action) {
    case 'monitor':
      return 'status';
    case 'start':
    case 'stop':
      return action;
    case 'reload':
    case 'reload-agent':
      return 'force-reload';
    default:
      return undefined;
  }
}

export function lsbRcToOcf(action: string, rc: number): number {
  if (action === 'monitor' || action === 'status') {
    if (rc === 0) return OcfRc.SUCCESS;
    // Dead but pid/lock file left behind still means "not running here".
    if (rc === 1 || rc === 2 || rc === 3) return OcfRc.NOT_RUNNING;
    return OcfRc.ERR_GENERIC;
  }
  if (rc >= 0 && rc <= 7) return rc;
  return OcfRc.ERR_GENERIC;
}

/** Build meta-data from the script's "### BEGIN INIT INFO" block. */
export function lsbMetadata(name: string, scriptText: string): AgentMetadata {
  const block = /### BEGIN INIT INFO([\s\S]*?)### END INIT INFO/.exec(scriptText)?.[1] ?? '';
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const raw of block.split('\n')) {
    const line = raw.replace(/^#/, '');
    const m = /^\s*([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (m && !/^\s{2,}|^\t/.test(line)) {
      last = m[1]!;
      fields.set(last, m[2]!.trim());
    } else if (last && /^(\s{2,}|\t)/.test(line)) {
      // Continuation of a multi-line Description.
      fields.set(last, `${fields.get(last) ?? ''} ${line.trim()}`.trim());
    }
  }
  const shortdesc = fields.get('Short-Description');
  const longdesc = fields.get('Description');
  return {
    name,
    version: '1.0',
    ...(shortdesc !== undefined ? { shortdesc } : {}),
    ...(longdesc !== undefined ? { longdesc } : {}),
    parameters: [],
    actions: [
      { name: 'start', timeoutMs: 15_000 },
      { name: 'stop', timeoutMs: 15_000 },
      { name: 'status', timeoutMs: 15_000 },
      { name: 'restart', timeoutMs: 15_000 },
      { name: 'force-reload', timeoutMs: 15_000 },
      { name: 'monitor', timeoutMs: 15_000, intervalMs: 15_000 },
      { name: 'meta-data', timeoutMs: 5_000 },
    ],
  };
}
