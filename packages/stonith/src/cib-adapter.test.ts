import { describe, expect, it } from 'vitest';
import { parseCib } from '@vigil/cib';
import { fencerConfigFromCib } from './cib-adapter.js';
import { Fencer } from './fencer.js';
import { ManualClock } from './clock.js';
import { StonithError } from './errors.js';
import type { FenceDevice } from './device.js';

const cibXml = (crmConfig: string, resources: string, fencing: string): string => `
<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">${crmConfig}</cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>${resources}</resources>
    <constraints/>
    <fencing-topology>${fencing}</fencing-topology>
  </configuration>
  <status/>
</cib>`;

const resources = `
  <primitive id="ipmi-node1" class="stonith" type="fence_ipmilan">
    <instance_attributes id="ipmi-node1-ia">
      <nvpair id="i1" name="ip" value="10.0.0.1"/>
      <nvpair id="i2" name="pcmk_host_list" value="node1"/>
      <nvpair id="i3" name="pcmk_delay_base" value="3s"/>
      <nvpair id="i4" name="pcmk_off_retries" value="0"/>
    </instance_attributes>
  </primitive>
  <primitive id="pdu" class="stonith" type="fence_apc">
    <instance_attributes id="pdu-ia">
      <nvpair id="p1" name="pcmk_host_map" value="node1:4;node2:5"/>
    </instance_attributes>
    <meta_attributes id="pdu-meta"><nvpair id="pm1" name="provides" value="unfencing"/></meta_attributes>
  </primitive>
  <primitive id="bad" class="stonith" type="fence_x">
    <instance_attributes id="bad-ia"><nvpair id="b1" name="pcmk_host_check" value="maybe"/></instance_attributes>
  </primitive>
  <primitive id="off" class="stonith" type="fence_x">
    <meta_attributes id="off-meta"><nvpair id="o1" name="target-role" value="Stopped"/></meta_attributes>
  </primitive>
  <primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>`;

const fencing = `
  <fencing-level id="fl-1" index="1" target="node1" devices="ipmi-node1"/>
  <fencing-level id="fl-2" index="2" target="node1" devices="pdu"/>
  <fencing-level id="fl-bad" index="3" target="node1" devices="pdu,bad"/>`;

describe('fencer configuration from a CIB', () => {
  it('reads stonith primitives, topology and cluster options, leaving out what cannot work', () => {
    const cib = parseCib(cibXml('<nvpair id="co1" name="stonith-timeout" value="90s"/><nvpair id="co2" name="priority-fencing-delay" value="20s"/><nvpair id="co3" name="stonith-action" value="off"/>', resources, fencing));
    const cfg = fencerConfigFromCib(cib, { nowSec: 0 });
    expect(cfg.devices.map((d) => `${d.id}:${d.type}`)).toEqual(['ipmi-node1:fence_ipmilan', 'pdu:fence_apc']);
    expect(cfg.devices[0]!.params).toMatchObject({ ip: '10.0.0.1', pcmk_host_list: 'node1' });
    expect(cfg.devices[1]!.meta).toEqual({ provides: 'unfencing' });
    expect(cfg.levels.map((l) => l.id)).toEqual(['fl-1', 'fl-2']);
    expect(cfg).toMatchObject({ fencingEnabled: true, fencingAction: 'off', fencingTimeoutMs: 90_000, priorityFencingDelayMs: 20_000, stonithWatchdogTimeoutMs: 0 });
    expect(cfg.warnings).toEqual([
      "stonith device 'bad' pcmk_host_check: 'maybe' is not one of static-list, dynamic-list, status, none; device left out",
      "stonith device 'off' is disabled (target-role=Stopped) and will not be used",
      "fencing-level 'fl-bad' devices: 'bad' is not a configured stonith device; level left out",
    ]);
  });

  it('drives a fencer through the CIB topology: level 1 fails, level 2 fences with its mapped plug', async () => {
    const cfg = fencerConfigFromCib(parseCib(cibXml('', resources, fencing)), { nowSec: 0 });
    const clock = new ManualClock(0);
    const calls: string[] = [];
    const device = (id: string, works: boolean): FenceDevice => ({
      type: 'fake',
      off: async (o) => {
        calls.push(`${id} off ${o?.plug} @${clock.now()}`);
        if (!works) throw new StonithError('VIGIL_STONITH_DEVICE_REFUSED', `${id} refused`);
      },
      on: async () => undefined,
      reboot: async () => undefined,
      status: async () => 'on',
      list: async () => [],
      monitor: async () => undefined,
      metadata: async () => ({ name: id, shortdesc: '', parameters: [], actions: [] }),
    });
    const fencer = new Fencer({ clock, createDevice: (d) => device(d.id, d.id === 'pdu'), stonithTimeoutMs: cfg.fencingTimeoutMs }, cfg);
    const result = fencer.fence({ target: 'node1', action: 'off', origin: 'node2' });
    await clock.advance(10_000);
    const { ok, entry } = await result;
    expect(ok).toBe(true);
    expect(entry.devices).toEqual(['pdu']);
    // the first level's device delay (pcmk_delay_base=3s) comes first
    expect(calls).toEqual(['ipmi-node1 off node1 @3000', 'pdu off 4 @3000']);
  });

  it('reads fencing-enabled=false and the 3.x option names', () => {
    const cfg = fencerConfigFromCib(parseCib(cibXml('<nvpair id="o1" name="fencing-enabled" value="false"/><nvpair id="o2" name="fencing-watchdog-timeout" value="-1"/>', '', '')), { nowSec: 0 });
    expect(cfg).toMatchObject({ fencingEnabled: false, stonithWatchdogTimeoutMs: -1000, devices: [], levels: [] });
  });
});
