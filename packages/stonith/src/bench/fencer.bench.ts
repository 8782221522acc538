/**
 * Fencer overhead: one request through a three-level topology whose first
 * two levels fail, with instant in-memory devices, against calling the same
 * device methods directly (the floor); and device selection among 1000
 * static-list devices.
 */
import { Fencer } from '../fencer.js';
import { systemClock } from '../clock.js';
import { StonithError } from '../errors.js';
import type { FenceDevice } from '../device.js';

function instant(works: boolean): FenceDevice {
  const act = async (): Promise<void> => {
    if (!works) throw new StonithError('VIGIL_STONITH_DEVICE_REFUSED', 'no');
  };
  return { type: 'mem', off: act, on: act, reboot: act, status: async () => 'on', list: async () => [], monitor: act, metadata: async () => ({ name: 'mem', shortdesc: '', parameters: [], actions: [] }) };
}

export default async function run(): Promise<void> {
  const devices = ['l1', 'l2', 'l3'].map((id) => ({ id, type: 'mem', params: { pcmk_off_retries: '0' } }));
  const impl: Record<string, FenceDevice> = { l1: instant(false), l2: instant(false), l3: instant(true) };
  const fencer = new Fencer(
    { clock: systemClock, createDevice: (c) => impl[c.id]!, historyLimit: 100 },
    { devices, levels: ['l1', 'l2', 'l3'].map((d, i) => ({ id: `lv${i}`, index: i + 1, target: 'n1', devices: [d] })) },
  );
  const rounds = 20_000;
  for (let i = 0; i < 500; i++) await fencer.fence({ target: 'n1', action: 'off', origin: 'bench' });
  let t = performance.now();
  for (let i = 0; i < rounds; i++) {
    const r = await fencer.fence({ target: 'n1', action: 'off', origin: 'bench' });
    if (!r.ok) throw new Error('bench fencing failed');
  }
  const fencerUs = ((performance.now() - t) * 1000) / rounds;
  t = performance.now();
  for (let i = 0; i < rounds; i++) {
    await impl.l1!.off().catch(() => undefined);
    await impl.l2!.off().catch(() => undefined);
    await impl.l3!.off();
  }
  const directUs = ((performance.now() - t) * 1000) / rounds;
  console.log(`fencer request through 3 topology levels (2 failing): ${fencerUs.toFixed(1)} us; direct device calls ${directUs.toFixed(2)} us; ratio ${(fencerUs / directUs).toFixed(0)}x`);

  const many = Array.from({ length: 1000 }, (_, i) => ({ id: `d${i}`, type: 'mem', params: { pcmk_host_list: `node${i} node${i + 1}`, priority: String(i % 7) } }));
  const big = new Fencer({ clock: systemClock, createDevice: () => instant(true) }, { devices: many, levels: [] });
  const selRounds = 200;
  t = performance.now();
  for (let i = 0; i < selRounds; i++) await big.capableDevices(`node${i}`);
  const selMs = (performance.now() - t) / selRounds;
  t = performance.now();
  for (let i = 0; i < selRounds; i++) many.filter((d) => d.params.pcmk_host_list.split(' ').includes(`node${i}`));
  const scanMs = (performance.now() - t) / selRounds;
  console.log(`fencer device selection among 1000 static-list devices: ${selMs.toFixed(3)} ms; bare list scan ${scanMs.toFixed(3)} ms; ratio ${(selMs / scanMs).toFixed(1)}x`);
}
