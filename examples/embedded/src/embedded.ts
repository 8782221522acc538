import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterNode, initCluster, loadClusterConfig } from '@vigil/crm';
import { NativeAgentRegistry } from '@vigil/ra';
import { httpServiceAgent, type HttpServiceAgent } from './http-agent.js';

export interface EmbeddedOptions {
  readonly dir?: string;
  readonly clusterPort: number;
  readonly servicePort: number;
  readonly log?: (line: string) => void;
}

/**
 * Start a one-node cluster in this process and hand it a configuration with
 * one resource, ocf:vigil:http-service, run by the native agent above.
 * Returns the node (`node.stop()` shuts everything down) and the agent.
 */
export async function runEmbedded(opts: EmbeddedOptions): Promise<{ node: ClusterNode; agent: HttpServiceAgent }> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'vigil-embedded-'));
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  await initCluster(dir, 'embedded', `solo=127.0.0.1:${opts.clusterPort}`, { force: true });
  const config = loadClusterConfig(join(dir, 'cluster.json'));
  const natives = new NativeAgentRegistry();
  const agent = httpServiceAgent();
  natives.register('http-service', agent);
  const node = await ClusterNode.start({ config, nodeName: 'solo', stateDir: join(dir, 'solo'), natives });
  node.on('dc', (dc) => log(`DC is now ${dc ?? 'nobody'}`));
  node.on('result', (r) => log(`${r.resource} ${r.task}${r.intervalMs ? ` (every ${r.intervalMs} ms)` : ''} on ${r.node}: rc=${r.rc}`));

  const deadline = Date.now() + 20_000;
  while (!node.isActingDc()) {
    if (Date.now() > deadline) throw new Error('the node did not become DC within 20 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const cib = node.cibXml().replace(
    /<configuration>[\s\S]*<\/configuration>/,
    `<configuration><crm_config><cluster_property_set id="opts"><nvpair id="opts-fencing" name="fencing-enabled" value="false"/></cluster_property_set></crm_config>` +
      `<nodes><node id="1" uname="solo"/></nodes><resources>` +
      `<primitive id="greeter" class="ocf" provider="vigil" type="http-service">` +
      `<instance_attributes id="greeter-ia"><nvpair id="greeter-port" name="port" value="${opts.servicePort}"/></instance_attributes>` +
      `<operations><op id="greeter-mon" name="monitor" interval="1s" timeout="5s"/></operations></primitive>` +
      `</resources><constraints/></configuration>`,
  );
  const res = await node.replaceCib(cib);
  if (!res.ok) throw new Error(`configuration refused: ${res.message}`);
  return { node, agent };
}
