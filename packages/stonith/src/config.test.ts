import { describe, expect, it } from 'vitest';
import { anyDeviceProvidesUnfencing, fencingDelayMs, parseDurationMs, parseHostList, parseHostMap, parseTargeting, plugFor, priorityFencingDelayMs } from './config.js';

describe('pcmk_* attribute parsing', () => {
  it('reads durations the way Pacemaker writes them', () => {
    expect(parseDurationMs('90', 'x')).toBe(90_000);
    expect(parseDurationMs('90s', 'x')).toBe(90_000);
    expect(parseDurationMs('500ms', 'x')).toBe(500);
    expect(parseDurationMs('2min', 'x')).toBe(120_000);
    expect(parseDurationMs('1h', 'x')).toBe(3_600_000);
    expect(parseDurationMs('1.5s', 'x')).toBe(1500);
    expect(() => parseDurationMs('5 parsecs', "device 'a' pcmk_delay_max")).toThrow("device 'a' pcmk_delay_max: '5 parsecs' is not a duration");
  });

  it('splits host lists on commas, spaces and semicolons', () => {
    expect(parseHostList('node1,node2 node3;node4')).toEqual(['node1', 'node2', 'node3', 'node4']);
  });

  it('reads host maps with ":" or "=", several ports, and escaped spaces', () => {
    const map = parseHostMap('node1:1;node2=2,3 node3:plug\\ with\\ space', 'm');
    expect([...map]).toEqual([
      ['node1', '1'],
      ['node2', '2,3'],
      ['node3', 'plug with space'],
    ]);
    expect(() => parseHostMap('node1', "device 'a' pcmk_host_map")).toThrow("device 'a' pcmk_host_map: entry 'node1' is not node:port");
  });

  it('derives the host check default and the plug', () => {
    expect(parseTargeting({ id: 'a', type: 't', params: { pcmk_host_list: 'n1' } }).hostCheck).toBe('static-list');
    expect(parseTargeting({ id: 'a', type: 't', params: {} }).hostCheck).toBeUndefined();
    const t = parseTargeting({ id: 'a', type: 't', params: { pcmk_host_map: 'n1:7' } });
    expect(plugFor(t, 'n1')).toBe('7');
    expect(plugFor(t, 'n2')).toBe('n2');
    expect(plugFor(parseTargeting({ id: 'a', type: 't', params: { pcmk_host_argument: 'none' } }), 'n1')).toBeUndefined();
    expect(() => parseTargeting({ id: 'a', type: 't', params: { pcmk_off_action: 'explode' } })).toThrow("stonith device 'a' pcmk_off_action: 'explode' is not a fence action");
    expect(() => parseTargeting({ id: 'a', type: 't', params: { pcmk_action_limit: '0' } })).toThrow(/pcmk_action_limit/);
    expect(() => parseTargeting({ id: 'a', type: 't', params: { pcmk_reboot_action: 'status' } })).toThrow(/'status' cannot stand in for reboot/);
  });

  it('keeps the random delay between base and max', () => {
    const t = parseTargeting({ id: 'a', type: 't', params: { pcmk_delay_base: '2s', pcmk_delay_max: '6s' } });
    expect(fencingDelayMs(t, 'n1', 0)).toBe(2000);
    expect(fencingDelayMs(t, 'n1', 0.999999)).toBe(5999);
    const onlyMax = parseTargeting({ id: 'a', type: 't', params: { pcmk_delay_max: '4s' } });
    expect(fencingDelayMs(onlyMax, 'n1', 0.5)).toBe(2000);
    const baseAboveMax = parseTargeting({ id: 'a', type: 't', params: { pcmk_delay_base: '5s', pcmk_delay_max: '1s' } });
    expect(fencingDelayMs(baseAboveMax, 'n1', 0.5)).toBe(5000);
  });

  it('delays fencing of the lost node with strictly the highest resource priority', () => {
    const prios = new Map([
      ['n1', 10],
      ['n2', 3],
    ]);
    expect(priorityFencingDelayMs('n1', prios, 15_000)).toBe(15_000);
    expect(priorityFencingDelayMs('n2', prios, 15_000)).toBe(0);
    expect(priorityFencingDelayMs('n1', new Map([['n1', 5], ['n2', 5]]), 15_000)).toBe(0);
    expect(priorityFencingDelayMs('n1', prios, 0)).toBe(0);
  });

  it('notices a device that provides unfencing', () => {
    expect(anyDeviceProvidesUnfencing([{ id: 'a', type: 't', params: {} }])).toBe(false);
    expect(anyDeviceProvidesUnfencing([{ id: 'a', type: 't', params: {} }, { id: 'b', type: 't', params: {}, meta: { provides: 'unfencing' } }])).toBe(true);
  });
});
