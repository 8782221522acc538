import { parseCib, type Cib } from '@vigil/cib';
import { schedule } from '../schedule.js';

/**
 * Scheduler speed on synthetic clusters of growing size (4 to 64 nodes): N nodes, 10·N
 * primitives in groups of 5 plus one anonymous clone, all running. The
 * baseline is parsing the same CIB, so the printed figure is how many parses
 * one scheduling run costs, and how that grows with size (near-linear is the
 * design goal).
 */
export function synthetic(nodes: number): string {
  const nodeXml: string[] = [];
  const states: string[] = [];
  const rscs: string[] = [];
  const lrm = new Map<number, string[]>();
  for (let n = 0; n < nodes; n++) {
    nodeXml.push(`<node id="n${n}" uname="n${n}"/>`);
    lrm.set(n, []);
  }
  const groups = (nodes * 10) / 5;
  for (let g = 0; g < groups; g++) {
    const members: string[] = [];
    const node = g % nodes;
    for (let m = 0; m < 5; m++) {
      const id = `r${g}_${m}`;
      members.push(`<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="${id}-mon" name="monitor" interval="10s"/></operations></primitive>`);
      lrm.get(node)!.push(`<lrm_resource id="${id}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${id}_start_0" operation="start" interval="0" call-id="${m + 1}" rc-code="0" op-status="0" transition-key="1:1:0:x"/></lrm_resource>`);
    }
    rscs.push(`<group id="g${g}">${members.join('')}</group>`);
  }
  rscs.push(`<clone id="c"><primitive id="cl" class="ocf" provider="heartbeat" type="Dummy"/></clone>`);
  for (let n = 0; n < nodes; n++) {
    states.push(`<node_state id="n${n}" uname="n${n}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="n${n}"><lrm_resources>${lrm.get(n)!.join('')}</lrm_resources></lrm></node_state>`);
  }
  return `<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.0" have-quorum="true"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config><nodes>${nodeXml.join('')}</nodes><resources>${rscs.join('')}</resources><constraints/></configuration><status>${states.join('')}</status></cib>`;
}

function timeMs(fn: () => void, minMs = 300): number {
  let runs = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs || runs < 3) {
    fn();
    runs++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return elapsed / runs;
}

export default async function run(): Promise<void> {
  let previous: { size: number; ms: number } | undefined;
  for (const nodes of [4, 8, 16, 32, 64]) {
    const xml = synthetic(nodes);
    let cib: Cib | undefined;
    const parseMs = timeMs(() => { cib = parseCib(xml); });
    const scheduleMs = timeMs(() => { schedule(cib!, 1_700_000_000); });
    const size = nodes * nodes * 10;
    const growth = previous ? ` | size x${(size / previous.size).toFixed(0)} -> time x${(scheduleMs / previous.ms).toFixed(1)}` : '';
    process.stdout.write(`schedule ${nodes} nodes x ${nodes * 10} resources: ${scheduleMs.toFixed(1)} ms = ${(scheduleMs / parseMs).toFixed(2)}x parse time${growth}\n`);
    previous = { size, ms: scheduleMs };
  }
}
