import type { Command } from 'commander';
import {
  StonithError,
  defaultRegistry,
  isFenceAction,
  runAction,
  FENCE_ACTIONS,
  type ActionOutcome,
  type DeviceMetadata,
} from '@vigil/stonith';

/** Exit codes: 0 done, 1 the device failed or refused, 64 the command line is wrong. */
const EXIT_DEVICE_FAILED = 1;
const EXIT_USAGE = 64;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function fail(message: string, code: number): void {
  process.stderr.write(`vigil: ${message}\n`);
  process.exitCode = code;
}

function parseParams(pairs: readonly string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      fail(`--param '${pair}': expected NAME=VALUE`, EXIT_USAGE);
      return undefined;
    }
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** fence-agents style XML, so tools that read agent metadata read ours too. */
function metadataXml(meta: DeviceMetadata): string {
  if (meta.xml) return meta.xml.endsWith('\n') ? meta.xml : `${meta.xml}\n`;
  const lines = ['<?xml version="1.0" ?>', `<resource-agent name="${escapeXml(meta.name)}" shortdesc="${escapeXml(meta.shortdesc)}">`, '<parameters>'];
  for (const p of meta.parameters) {
    lines.push(`\t<parameter name="${escapeXml(p.name)}" unique="0" required="${p.required ? 1 : 0}">`);
    lines.push(`\t\t<content type="${p.type}"${p.default !== undefined ? ` default="${escapeXml(p.default)}"` : ''} />`);
    lines.push(`\t\t<shortdesc lang="en">${escapeXml(p.description)}</shortdesc>`);
    lines.push('\t</parameter>');
  }
  lines.push('</parameters>', '<actions>');
  for (const a of meta.actions) lines.push(`\t<action name="${a}" />`);
  lines.push('</actions>', '</resource-agent>');
  return lines.join('\n') + '\n';
}

function render(type: string, outcome: ActionOutcome, json: boolean): string {
  if (json) {
    const body = outcome.action === 'metadata' ? { ...outcome, metadata: { ...outcome.metadata, xml: undefined } } : outcome;
    return JSON.stringify({ type, ok: true, ...body }) + '\n';
  }
  switch (outcome.action) {
    case 'status':
      return `Status: ${outcome.power.toUpperCase()}\n`;
    case 'list':
      return outcome.plugs.map((p) => `${p}\n`).join('');
    case 'metadata':
      return metadataXml(outcome.metadata);
    case 'monitor':
      return `${type}: device is reachable\n`;
    default:
      return `${type}: ${outcome.action} confirmed\n`;
  }
}

export function registerStonithCommands(program: Command): void {
  const stonith = program.command('stonith').description('fence devices: run one device action directly');
  stonith
    .command('run')
    .description(
      'run ACTION on a fence device of DEVICE-TYPE (ipmi, ssh, or a fence agent such as fence_ipmilan); ' +
        'off/on/reboot succeed only once the device confirmed them',
    )
    .argument('<device-type>', 'ipmi, ssh, or a fence_* agent name')
    .argument('<action>', FENCE_ACTIONS.join(' | '))
    .option('--param <name=value>', 'device parameter, repeatable (ip, ipport, username, password, ...)', collect, [])
    .option('--plug <name>', 'plug/port/host the action is for, on devices that fence several hosts')
    .option('--json', 'print the result as JSON')
    .action(async (type: string, action: string, opts: { param: string[]; plug?: string; json?: boolean }) => {
      if (!isFenceAction(action)) {
        fail(`unknown action '${action}' (one of ${FENCE_ACTIONS.join(', ')})`, EXIT_USAGE);
        return;
      }
      const params = parseParams(opts.param);
      if (!params) return;
      const registry = defaultRegistry();
      try {
        // Metadata describes the parameters, so it must not need them.
        const outcome: ActionOutcome =
          action === 'metadata'
            ? { action, metadata: await registry.metadata(type) }
            : await runAction(registry.create(type, params), action, opts.plug !== undefined ? { plug: opts.plug } : {});
        process.stdout.write(render(type, outcome, opts.json === true));
        process.exitCode = 0;
      } catch (err) {
        if (!(err instanceof StonithError)) throw err;
        const usage = err.code === 'VIGIL_STONITH_BAD_PARAM' || err.code === 'VIGIL_STONITH_UNKNOWN_DEVICE_TYPE';
        if (opts.json) process.stdout.write(JSON.stringify({ type, ok: false, action, code: err.code, error: err.message }) + '\n');
        fail(err.message, usage ? EXIT_USAGE : EXIT_DEVICE_FAILED);
      }
    });
  stonith
    .command('types')
    .description('list the built-in device types (any installed fence_* agent also works)')
    .action(() => {
      process.stdout.write(defaultRegistry().types().join('\n') + '\n');
    });
}
