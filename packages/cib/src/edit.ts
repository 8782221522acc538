/**
 * Minimal edits for the layers above (crm, cli). Each edit changes the XML
 * tree by copying only the path to the changed element, then re-derives the
 * typed view, so an edit that would produce an invalid CIB throws and leaves
 * the input untouched.
 */
import { CibError } from './errors.js';
import type { Cib, CibVersion, XmlElement } from './model.js';
import { cibFromXml, cibWithStatusFromXml, inheritParseState, type ParseOptions } from './parse.js';
import { firstChild, makeElement } from './xml.js';

function withChildren(el: XmlElement, children: readonly XmlElement[]): XmlElement {
  return makeElement(el.name, el.attrs, children, el.text);
}

function withAttrs(el: XmlElement, attrs: Readonly<Record<string, string>>): XmlElement {
  return makeElement(el.name, attrs, el.children, el.text);
}

/** Replaces the first child named `name` (or appends one) with `replacement`. */
function replaceChild(parent: XmlElement, name: string, replacement: XmlElement | undefined): XmlElement {
  const i = parent.children.findIndex((c) => c.name === name);
  const children = [...parent.children];
  if (replacement === undefined) {
    if (i >= 0) children.splice(i, 1);
  } else if (i >= 0) {
    children[i] = replacement;
  } else {
    children.push(replacement);
  }
  return withChildren(parent, children);
}

function ids(el: XmlElement, into: Set<string>): Set<string> {
  if (el.attrs.id !== undefined) into.add(el.attrs.id);
  for (const c of el.children) ids(c, into);
  return into;
}

function uniqueId(root: XmlElement, wanted: string): string {
  const taken = ids(root, new Set());
  if (!taken.has(wanted)) return wanted;
  for (let n = 1; ; n++) if (!taken.has(`${wanted}-${n}`)) return `${wanted}-${n}`;
}

/**
 * Sets (or, with `undefined`, removes) a cluster option in the
 * cib-bootstrap-options set, creating crm_config and the set if needed.
 */
export function withClusterOption(cib: Cib, name: string, value: string | undefined, opts?: ParseOptions): Cib {
  const root = cib.xml;
  const config = firstChild(root, 'configuration')!;
  const crmConfig = firstChild(config, 'crm_config') ?? makeElement('crm_config');
  let set = crmConfig.children.find((c) => c.name === 'cluster_property_set' && c.attrs.id === 'cib-bootstrap-options');
  const setIsNew = set === undefined;
  set ??= makeElement('cluster_property_set', { id: 'cib-bootstrap-options' });
  const pairs = [...set.children];
  const i = pairs.findIndex((p) => p.name === 'nvpair' && p.attrs.name === name);
  if (value === undefined) {
    if (i < 0) return cib;
    pairs.splice(i, 1);
  } else if (i >= 0) {
    pairs[i] = withAttrs(pairs[i]!, { ...pairs[i]!.attrs, value });
  } else {
    pairs.push(makeElement('nvpair', { id: uniqueId(root, `cib-bootstrap-options-${name}`), name, value }));
  }
  const newSet = withChildren(set, pairs);
  const setChildren = setIsNew
    ? [newSet, ...crmConfig.children]
    : crmConfig.children.map((c) => (c === set ? newSet : c));
  return withConfigurationSection(cib, 'crm_config', withChildren(crmConfig, setChildren), opts);
}

const CONFIGURATION_SECTIONS: ReadonlySet<string> = new Set([
  'crm_config', 'nodes', 'resources', 'constraints', 'rsc_defaults', 'op_defaults', 'tags', 'fencing-topology', 'alerts', 'acls',
]);

/** Replaces (or adds) one section of `<configuration>`, e.g. resources or constraints. */
export function withConfigurationSection(cib: Cib, sectionName: string, element: XmlElement, opts?: ParseOptions): Cib {
  if (!CONFIGURATION_SECTIONS.has(sectionName)) {
    throw new CibError('VIGIL_CIB_UNKNOWN_ELEMENT', `'${sectionName}' is not a configuration section (${[...CONFIGURATION_SECTIONS].join(', ')})`, {
      element: 'configuration',
    });
  }
  if (element.name !== sectionName) {
    throw new CibError('VIGIL_CIB_UNKNOWN_ELEMENT', `expected a <${sectionName}> element, got <${element.name}>`, {
      element: element.name,
    });
  }
  const config = firstChild(cib.xml, 'configuration')!;
  return cibFromXml(replaceChild(cib.xml, 'configuration', replaceChild(config, sectionName, element)), opts);
}

/**
 * Replaces the status section: a `<status>` element, or the node_state
 * elements to put in one. Only the status is re-read; configuration views
 * are shared with `cib`.
 */
export function withStatus(cib: Cib, status: XmlElement | readonly XmlElement[], opts?: ParseOptions): Cib {
  const el = Array.isArray(status) ? makeElement('status', {}, status as readonly XmlElement[]) : (status as XmlElement);
  if (el.name !== 'status') {
    throw new CibError('VIGIL_CIB_UNKNOWN_ELEMENT', `expected a <status> element, got <${el.name}>`, { element: el.name });
  }
  return cibWithStatusFromXml(cib, replaceChild(cib.xml, 'status', el), opts);
}

function replaceElement(parent: XmlElement, old: XmlElement | undefined, replacement: XmlElement): XmlElement {
  const children = old === undefined ? [...parent.children, replacement] : parent.children.map((c) => (c === old ? replacement : c));
  return withChildren(parent, children);
}

/** Status ids follow the attribute name; characters an id cannot hold become '.' (as Pacemaker does). */
function statusId(text: string): string {
  return text.replace(/[^\p{L}\p{N}_.-]/gu, '.');
}

/**
 * Sets (or, with `undefined`, removes) a transient node attribute in the
 * status section of the node whose id is `nodeId`
 * (node_state/transient_attributes/instance_attributes), creating the
 * elements on the way as needed.
 */
export function withNodeAttribute(
  cib: Cib,
  nodeId: string,
  name: string,
  value: string | undefined,
  opts?: ParseOptions,
): Cib {
  const status = firstChild(cib.xml, 'status') ?? makeElement('status');
  const state = status.children.find((c) => c.name === 'node_state' && c.attrs.id === nodeId);
  const uname = cib.configuration.nodes.find((n) => n.id === nodeId)?.uname;
  const stateEl = state ?? makeElement('node_state', uname !== undefined ? { id: nodeId, uname } : { id: nodeId });
  const transient = firstChild(stateEl, 'transient_attributes') ?? makeElement('transient_attributes', { id: nodeId });
  const set = firstChild(transient, 'instance_attributes') ?? makeElement('instance_attributes', { id: statusId(`status-${nodeId}`) });
  const pairs = [...set.children];
  const i = pairs.findIndex((p) => p.name === 'nvpair' && p.attrs.name === name);
  if (value === undefined) {
    if (i < 0) return cib;
    pairs.splice(i, 1);
  } else if (i >= 0) {
    if (pairs[i]!.attrs.value === value) return cib;
    pairs[i] = withAttrs(pairs[i]!, { ...pairs[i]!.attrs, value });
  } else {
    pairs.push(makeElement('nvpair', { id: statusId(`status-${nodeId}-${name}`), name, value }));
  }
  const newTransient = replaceChild(transient, 'instance_attributes', withChildren(set, pairs));
  const newState = replaceChild(stateEl, 'transient_attributes', newTransient);
  const newStatus = replaceElement(status, state, newState);
  return cibWithStatusFromXml(cib, replaceChild(cib.xml, 'status', newStatus), opts);
}

/** A new, empty cluster's CIB: version 0.0.0 and empty sections, valid for its schema. */
export function emptyCib(validateWith = 'pacemaker-3.9'): Cib {
  return cibFromXml(
    makeElement('cib', { admin_epoch: '0', epoch: '0', num_updates: '0', 'validate-with': validateWith }, [
      makeElement('configuration', {}, [
        makeElement('crm_config'),
        makeElement('nodes'),
        makeElement('resources'),
        makeElement('constraints'),
      ]),
      makeElement('status'),
    ]),
  );
}

/** The same CIB with another version (root attributes only; views are shared). */
export function withVersion(cib: Cib, version: CibVersion): Cib {
  // Only root attributes change, so the derived views can be shared.
  const xml = withAttrs(cib.xml, {
    ...cib.xml.attrs,
    admin_epoch: String(version.adminEpoch),
    epoch: String(version.epoch),
    num_updates: String(version.numUpdates),
  });
  return inheritParseState(cib, { ...cib, version, xml });
}

/** A configuration change: epoch + 1, num_updates back to 0. */
export function bumpEpoch(cib: Cib): Cib {
  return withVersion(cib, { ...cib.version, epoch: cib.version.epoch + 1, numUpdates: 0 });
}

/** A status change: num_updates + 1. */
export function bumpNumUpdates(cib: Cib): Cib {
  return withVersion(cib, { ...cib.version, numUpdates: cib.version.numUpdates + 1 });
}

/** Orders CIB versions by (admin_epoch, epoch, num_updates): negative when a is older. */
export function compareVersions(a: Cib | CibVersion, b: Cib | CibVersion): number {
  const x = 'version' in a ? a.version : a;
  const y = 'version' in b ? b.version : b;
  return Math.sign(x.adminEpoch - y.adminEpoch || x.epoch - y.epoch || x.numUpdates - y.numUpdates);
}
