import { runEmbedded } from './embedded.js';

const { node } = await runEmbedded({ clusterPort: Number(process.env['VIGIL_PORT'] ?? 7480), servicePort: Number(process.env['SERVICE_PORT'] ?? 7481) });
process.stdout.write('running: curl http://127.0.0.1:7481/ ; Ctrl-C stops\n');
process.once('SIGINT', () => void node.stop({ graceful: true }).then(() => process.exit(0)));
