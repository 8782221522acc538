import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ClusterNode, DaemonError, initCluster, loadClusterConfig, readApiToken } from '@vigil/crm';
import { buildApi } from '../api/index.js';
import { createMetrics } from '../api/metrics.js';
import { DaemonHandle } from '../daemon-handle.js';

function clusterGroup(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'cluster');
  return existing ?? program.command('cluster').description('Cluster-wide setup and membership');
}

/** One JSON object per line on stdout: structured logs a collector can read. */
export function jsonLog(level: string, msg: string, fields?: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...(fields ?? {}) }) + '\n');
}

function reportError(err: unknown): void {
  const e = err as Error & { code?: string };
  process.stderr.write(`vigil: ${e.message}\n`);
  process.exitCode = e instanceof DaemonError || e.code?.startsWith('VIGIL_') ? 2 : 1;
}

export function registerDaemonCommands(program: Command): void {
  clusterGroup(program)
    .command('init')
    .description('Write a cluster configuration (cluster.json), an authkey and an API token into a directory')
    .requiredOption('--name <name>', 'cluster name')
    .requiredOption('--nodes <spec>', 'n1=ADDR:PORT[,ADDR2:PORT2],n2=ADDR:PORT,... (extra ADDR:PORT after a node are more links)')
    .requiredOption('--out <dir>', 'directory to write into')
    .option('--force', 'overwrite an existing configuration and keys', false)
    .action(async (opts: { name: string; nodes: string; out: string; force: boolean }) => {
      try {
        const path = await initCluster(resolve(opts.out), opts.name, opts.nodes, { force: opts.force });
        process.stdout.write(`wrote ${path} (authkey and api-token beside it, mode 0600)\n`);
      } catch (err) {
        reportError(err);
      }
    });

  program
    .command('daemon')
    .description('Run one cluster node: messaging, crm, lrm and, as DC, the control loop and fencer')
    .requiredOption('--config <file>', 'cluster.json written by vigil cluster init')
    .requiredOption('--node <name>', 'which node of the configuration this is')
    .option('--state-dir <dir>', 'where this node keeps its CIB copy and agent state', '/var/lib/vigil')
    .action(async (opts: { config: string; node: string; stateDir: string }) => {
      let node: ClusterNode;
      let closeApi: () => Promise<void>;
      try {
        const config = loadClusterConfig(opts.config);
        const token = readApiToken(config);
        node = await ClusterNode.start({ config, nodeName: opts.node, stateDir: resolve(opts.stateDir), log: jsonLog });
        const entry = config.nodes.find((n) => n.name === opts.node)!;
        const metrics = createMetrics();
        node.on('transition', (r) => metrics.observeTransition(r.durationMs, r.outcome));
        const app = await buildApi(new DaemonHandle(node), { token, metrics });
        await app.listen({ host: entry.api.host, port: entry.api.port });
        jsonLog('info', 'HTTP API listening', { node: opts.node, host: entry.api.host, port: entry.api.port });
        closeApi = () => app.close();
      } catch (err) {
        reportError(err);
        return;
      }
      node.on('dc', (dc) => jsonLog('info', 'dc changed', { node: opts.node, dc }));
      node.on('membership', (m) => jsonLog('info', 'membership', { node: opts.node, members: m }));
      node.on('result', (r) => jsonLog('info', 'resource result', { ...r }));
      node.on('fencing', (r) => jsonLog(r.ok ? 'info' : 'error', 'fencing', { ...r }));
      node.on('quorumLost', (r) => jsonLog('warn', 'quorum lost', { node: opts.node, ...r }));
      node.on('selfFence', (reason) => {
        // The cluster must be able to trust that this node is gone: exit hard.
        jsonLog('error', `self-fencing: ${reason}`, { node: opts.node });
        process.exit(1);
      });
      await new Promise<void>((done) => {
        const shutdown = (signal: string): void => {
          jsonLog('info', `received ${signal}: moving resources away and leaving`, { node: opts.node });
          node.stop({ graceful: signal === 'SIGTERM' }).then(() => closeApi()).then(done, (err: Error) => {
            jsonLog('error', `shutdown failed: ${err.message}`, { node: opts.node });
            done();
          });
        };
        process.once('SIGTERM', () => shutdown('SIGTERM'));
        process.once('SIGINT', () => shutdown('SIGINT'));
      });
    });
}
