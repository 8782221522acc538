// Child process for the real-socket tests and the bench: one messaging node on
// UDP, driven by JSON lines on stdin, reporting JSON lines on stdout. Plain JS
// on the built dist, because child processes do not go through vite.
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createNode } from '../../dist/index.js';

const config = JSON.parse(process.env.VIGIL_NODE_CONFIG ?? '{}');
const out = (obj) => process.stdout.write(`${JSON.stringify({ t: Date.now(), ...obj })}\n`);

let node;
try {
  node = await createNode(config);
} catch (e) {
  out({ ev: 'error', code: e.code, message: e.message });
  process.exit(2);
}
node.on('view', (view) => out({ ev: 'view', view }));
node.on('link', (e) => out({ ev: 'link', ...e }));
node.on('join', (e) => out({ ev: 'join', ...e }));
node.on('leave', (e) => out({ ev: 'leave', ...e }));
node.on('message', (m) => out({ ev: 'message', from: m.from, channel: m.channel, bytes: m.payload.length, sha256: createHash('sha256').update(m.payload).digest('hex') }));
out({ ev: 'ready', incarnation: node.incarnation, view: node.view() });

const cpuStart = process.cpuUsage();
const wallStart = Date.now();
createInterface({ input: process.stdin }).on('line', async (line) => {
  const cmd = JSON.parse(line);
  if (cmd.cmd === 'stats') out({ ev: 'stats', id: cmd.id, stats: node.stats(), view: node.view(), links: node.links() });
  else if (cmd.cmd === 'cpu') {
    const u = process.cpuUsage(cpuStart);
    out({ ev: 'cpu', id: cmd.id, cpuMs: (u.user + u.system) / 1000, wallMs: Date.now() - wallStart });
  } else if (cmd.cmd === 'send') {
    const payload = cmd.fill === undefined ? Buffer.from(cmd.text ?? '') : Buffer.alloc(cmd.bytes, cmd.fill);
    const sha256 = createHash('sha256').update(payload).digest('hex');
    node.send(cmd.to, cmd.channel, payload).then(
      () => out({ ev: 'sent', id: cmd.id, ok: true, sha256 }),
      (e) => out({ ev: 'sent', id: cmd.id, ok: false, code: e.code, message: e.message }),
    );
  } else if (cmd.cmd === 'stop') {
    await node.stop();
    out({ ev: 'stopped' });
    process.exit(0);
  }
});
// The parent going away must not leave an orphan node heartbeating.
process.stdin.on('end', () => process.exit(0));
