/**
 * CibOps for real CIB documents, held as XML text so they store and travel as
 * written. Validation is @vigil/cib's parser: a document it refuses is refused
 * whole, with its message (which names the element id or field).
 */
import { parseCib, parseXml, serializeXml, type XmlElement } from '@vigil/cib';
import type { CibOps, CibVersion } from './types.js';

export const EMPTY_CIB_XML =
  '<cib admin_epoch="0" epoch="0" num_updates="0" validate-with="pacemaker-3.9" crm_feature_set="3.19.0">' +
  '<configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>';

function readVersion(root: XmlElement): CibVersion {
  const num = (name: string): number => {
    const n = Number(root.attrs[name] ?? '0');
    return Number.isInteger(n) && n >= 0 ? n : 0;
  };
  return { adminEpoch: num('admin_epoch'), epoch: num('epoch'), numUpdates: num('num_updates') };
}

function withChild(parent: XmlElement, match: (c: XmlElement) => boolean, make: () => XmlElement, edit: (c: XmlElement) => XmlElement | null): XmlElement {
  const index = parent.children.findIndex(match);
  const current = index >= 0 ? parent.children[index]! : make();
  const next = edit(current);
  const children = [...parent.children];
  if (index >= 0) {
    if (next === null) children.splice(index, 1);
    else children[index] = next;
  } else if (next !== null) children.push(next);
  return { ...parent, children };
}

function nodeIdFor(root: XmlElement, uname: string): string {
  const nodes = root.children.find((c) => c.name === 'configuration')?.children.find((c) => c.name === 'nodes');
  return nodes?.children.find((n) => n.name === 'node' && n.attrs['uname'] === uname)?.attrs['id'] ?? uname;
}

/** Writes status/node_state/transient_attributes/instance_attributes/nvpair the way Pacemaker lays it out. */
export function setTransientAttribute(root: XmlElement, uname: string, name: string, value: string | null): XmlElement {
  const id = nodeIdFor(root, uname);
  const setId = `status-${id}`;
  return withChild(
    root,
    (c) => c.name === 'status',
    () => ({ name: 'status', attrs: {}, children: [] }),
    (status) =>
      withChild(
        status,
        (c) => c.name === 'node_state' && (c.attrs['uname'] === uname || c.attrs['id'] === id),
        () => ({ name: 'node_state', attrs: { id, uname }, children: [] }),
        (state) =>
          withChild(
            state,
            (c) => c.name === 'transient_attributes',
            () => ({ name: 'transient_attributes', attrs: { id }, children: [] }),
            (transient) =>
              withChild(
                transient,
                (c) => c.name === 'instance_attributes',
                () => ({ name: 'instance_attributes', attrs: { id: setId }, children: [] }),
                (set) =>
                  withChild(
                    set,
                    (c) => c.name === 'nvpair' && c.attrs['name'] === name,
                    () => ({ name: 'nvpair', attrs: { id: `${setId}-${name}`, name }, children: [] }),
                    (pair) => (value === null ? null : { ...pair, attrs: { ...pair.attrs, value } }),
                  ),
              ),
          ),
      ),
  );
}

/** The root start tag, when the document begins with it (as every CIB Vigil writes does). */
const ROOT_TAG = /^\s*(?:<\?xml[^>]*\?>\s*)?<cib(\s[^>]*)?>/;
const ATTR = /([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)')/g;

/** Reads the version from the root tag without parsing the whole document: it is asked often. */
function quickVersion(doc: string): CibVersion {
  const match = ROOT_TAG.exec(doc);
  if (!match) return readVersion(parseXml(doc));
  const attrs: Record<string, string> = {};
  for (const a of (match[1] ?? '').matchAll(ATTR)) attrs[a[1]!] = a[3] ?? a[4] ?? '';
  return readVersion({ name: 'cib', attrs, children: [] });
}

export const xmlCibOps: CibOps<string> = {
  initial: () => EMPTY_CIB_XML,
  version: quickVersion,
  withVersion: (doc, v) => {
    const root = parseXml(doc);
    const attrs = { ...root.attrs, admin_epoch: String(v.adminEpoch), epoch: String(v.epoch), num_updates: String(v.numUpdates) };
    return serializeXml({ ...root, attrs });
  },
  validate: (doc) => {
    try {
      parseCib(doc);
      return null;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  },
  setNodeAttribute: (doc, node, name, value) => serializeXml(setTransientAttribute(parseXml(doc), node, name, value)),
  sameConfiguration: (a, b) => configurationText(a) === configurationText(b),
};

function configurationText(doc: string): string {
  const start = doc.indexOf('<configuration');
  const end = doc.indexOf('</configuration>');
  return start < 0 ? '' : end < 0 ? doc.slice(start) : doc.slice(start, end);
}
