import { parseCib, type Cib } from '@vigil/cib';
import { unpack } from '@vigil/pe';
import { buildApi } from '../api/app.js';
import { MemoryClusterHandle } from '../api/memory-handle.js';
import { clusterStatus, renderStatusJson, renderStatusText, renderStatusXml } from '../status/index.js';

/**
 * What a status request costs on synthetic clusters of growing size (N
 * nodes, 10·N primitives in groups of five, a clone on every node, one
 * failure per node). The baseline is the scheduler's own unpacking of the
 * same CIB, which the status model is built on: the figures say how much
 * building the model, each renderer, and a whole API request add to it.
 */
const NOW_SEC = 1_700_000_000;

function synthetic(nodes: number): string {
  const nodeXml: string[] = [];
  const rscs: string[] = [];
  const lrm: string[][] = Array.from({ length: nodes }, () => []);
  const attrs: string[][] = Array.from({ length: nodes }, () => []);
  const op = (id: string, task: string, call: number, rc = 0, interval = 0): string =>
    `<lrm_rsc_op id="${id}_${task}_${interval}" operation="${task}" interval="${interval}" call-id="${call}" rc-code="${rc}" op-status="0" transition-key="1:1:0:x" last-rc-change="${NOW_SEC - 60}" exec-time="12" queue-time="0"/>`;
  for (let n = 0; n < nodes; n++) nodeXml.push(`<node id="n${n}" uname="n${n}"/>`);
  for (let g = 0; g < nodes * 2; g++) {
    const node = g % nodes;
    const members: string[] = [];
    for (let m = 0; m < 5; m++) {
      const id = `r${g}_${m}`;
      members.push(`<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="${id}-mon" name="monitor" interval="10s"/></operations></primitive>`);
      const failed = m === 4 && g < nodes;
      lrm[node]!.push(
        `<lrm_resource id="${id}" class="ocf" provider="heartbeat" type="Dummy">${op(id, 'start', 1)}${op(id, 'monitor', 2, failed ? 7 : 0, 10_000)}</lrm_resource>`,
      );
      if (failed) attrs[node]!.push(`<nvpair id="fc-${id}" name="fail-count-${id}#monitor_10000" value="1"/>`);
    }
    rscs.push(`<group id="g${g}">${members.join('')}</group>`);
  }
  rscs.push('<clone id="c"><primitive id="cl" class="ocf" provider="heartbeat" type="Dummy"/></clone>');
  for (let n = 0; n < nodes; n++) lrm[n]!.push(`<lrm_resource id="cl" class="ocf" provider="heartbeat" type="Dummy">${op('cl', 'start', 9)}</lrm_resource>`);
  const states = lrm.map(
    (l, n) =>
      `<node_state id="n${n}" uname="n${n}" in_ccm="true" crmd="online" join="member" expected="member">` +
      `<transient_attributes id="n${n}"><instance_attributes id="status-n${n}">${attrs[n]!.join('')}</instance_attributes></transient_attributes>` +
      `<lrm id="n${n}"><lrm_resources>${l.join('')}</lrm_resources></lrm></node_state>`,
  );
  return `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9" have-quorum="1" dc-uuid="n0"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config><nodes>${nodeXml.join('')}</nodes><resources>${rscs.join('')}</resources><constraints/></configuration><status>${states.join('')}</status></cib>`;
}

async function timeMs(fn: () => unknown, minMs = 500): Promise<number> {
  // Warm up first, so the JIT's first compilations do not land in the figure.
  for (let i = 0; i < 3; i++) await fn();
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs || runs < 3) {
    await fn();
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return elapsed / runs;
}

export default async function run(): Promise<void> {
  for (const nodes of [4, 16, 32]) {
    const cib: Cib = parseCib(synthetic(nodes));
    const unpackMs = await timeMs(() => unpack(cib, NOW_SEC));
    const status = clusterStatus(cib, { nowSec: NOW_SEC });
    const modelMs = await timeMs(() => clusterStatus(cib, { nowSec: NOW_SEC }));
    const textMs = await timeMs(() => renderStatusText(status));
    const jsonMs = await timeMs(() => renderStatusJson(status));
    const xmlMs = await timeMs(() => renderStatusXml(status));
    // The clock advances on every request, so each one computes the status afresh rather than reusing the last second's.
    let tick = NOW_SEC;
    const app = await buildApi(new MemoryClusterHandle(cib, { nodeName: 'n0', nowSec: () => tick++ }), { token: 'bench' });
    const headers = { authorization: 'Bearer bench' };
    const requestMs = await timeMs(() => app.inject({ url: '/status', headers }));
    const scrapeMs = await timeMs(() => app.inject({ url: '/metrics', headers }));
    const healthMs = await timeMs(() => app.inject({ url: '/health/resource/g0' }));
    await app.close();
    const x = (ms: number): string => `${ms.toFixed(2)} ms = ${(ms / unpackMs).toFixed(2)}x unpack`;
    const label = `status ${nodes} nodes x ${nodes * 10 + 1} resources`;
    process.stdout.write(`${label}: unpack (baseline) ${unpackMs.toFixed(2)} ms\n`);
    process.stdout.write(`${label}: model ${x(modelMs)} | text ${x(textMs)} | json ${x(jsonMs)} | xml ${x(xmlMs)}\n`);
    process.stdout.write(`${label}: GET /status ${x(requestMs)} | GET /metrics ${x(scrapeMs)} | GET /health/resource ${x(healthMs)}\n`);
  }
}
