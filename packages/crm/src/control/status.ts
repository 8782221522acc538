/**
 * Edits of the CIB status section the DC makes as the cluster runs: a node's
 * membership fields, an operation result in a node's resource history, and
 * the erasure of a fenced node's history. Pure functions on the XML tree, in
 * the layout Pacemaker writes (node_state/lrm/lrm_resources/lrm_resource/
 * lrm_rsc_op), so the scheduler reads them unchanged.
 */
import type { XmlElement } from '@vigil/cib';

function child(parent: XmlElement, name: string): XmlElement | undefined {
  return parent.children.find((c) => c.name === name);
}

function upsert(parent: XmlElement, match: (c: XmlElement) => boolean, make: () => XmlElement, edit: (c: XmlElement) => XmlElement): XmlElement {
  const i = parent.children.findIndex(match);
  const children = [...parent.children];
  if (i >= 0) children[i] = edit(children[i]!);
  else children.push(edit(make()));
  return { ...parent, children };
}

function el(name: string, attrs: Record<string, string> = {}, children: XmlElement[] = []): XmlElement {
  return { name, attrs, children };
}

function nodeIdOf(root: XmlElement, uname: string): string {
  const nodes = child(child(root, 'configuration') ?? el('configuration'), 'nodes');
  return nodes?.children.find((n) => n.attrs['uname'] === uname)?.attrs['id'] ?? uname;
}

function editNodeState(root: XmlElement, uname: string, edit: (state: XmlElement) => XmlElement): XmlElement {
  const id = nodeIdOf(root, uname);
  return upsert(
    root,
    (c) => c.name === 'status',
    () => el('status'),
    (status) =>
      upsert(
        status,
        (c) => c.name === 'node_state' && (c.attrs['uname'] === uname || c.attrs['id'] === id),
        () => el('node_state', { id, uname }),
        edit,
      ),
  );
}

export interface Membership {
  readonly inCluster: boolean;
  readonly peerUp: boolean;
  readonly join: 'member' | 'down' | 'pending';
  readonly expected: 'member' | 'down';
}

/** Write a node's membership fields (in_ccm, crmd, join, expected). */
export function withMembership(root: XmlElement, uname: string, m: Membership): XmlElement {
  return editNodeState(root, uname, (state) => ({
    ...state,
    attrs: {
      ...state.attrs,
      uname,
      in_ccm: String(m.inCluster),
      crmd: m.peerUp ? 'online' : 'offline',
      join: m.join,
      expected: m.expected,
    },
  }));
}

export interface ResourceInfo {
  readonly id: string;
  readonly class: string;
  readonly provider?: string;
  readonly type: string;
}

/**
 * Put one lrm_rsc_op (given as its attributes) into a node's history,
 * replacing the record with the same id.
 */
export function withOpRecord(root: XmlElement, uname: string, rsc: ResourceInfo, record: Readonly<Record<string, string>>): XmlElement {
  const recordId = record['id'];
  if (!recordId) throw new Error('an op record needs an id');
  return editNodeState(root, uname, (state) =>
    upsert(
      state,
      (c) => c.name === 'lrm',
      () => el('lrm', { id: state.attrs['id'] ?? uname }),
      (lrm) =>
        upsert(
          lrm,
          (c) => c.name === 'lrm_resources',
          () => el('lrm_resources'),
          (resources) =>
            upsert(
              resources,
              (c) => c.name === 'lrm_resource' && c.attrs['id'] === rsc.id,
              () => el('lrm_resource', { id: rsc.id, class: rsc.class, ...(rsc.provider ? { provider: rsc.provider } : {}), type: rsc.type }),
              (entry) => upsert(entry, (c) => c.name === 'lrm_rsc_op' && c.attrs['id'] === recordId, () => el('lrm_rsc_op'), () => el('lrm_rsc_op', { ...record })),
            ),
        ),
    ),
  );
}

/** Replace a node's whole resource history (as its lrm daemon reports it). */
export function withNodeHistory(root: XmlElement, uname: string, lrm: XmlElement): XmlElement {
  return editNodeState(root, uname, (state) => {
    const children = state.children.filter((c) => c.name !== 'lrm');
    return { ...state, children: [...children, lrm] };
  });
}

/** A fenced node is down and runs nothing: mark it so and forget its history. */
export function withNodeFenced(root: XmlElement, uname: string): XmlElement {
  const down = withMembership(root, uname, { inCluster: false, peerUp: false, join: 'down', expected: 'down' });
  return editNodeState(down, uname, (state) => ({
    ...state,
    children: state.children.filter((c) => c.name !== 'lrm'),
  }));
}

/** Read a transient attribute of a node, if set. */
export function transientAttribute(root: XmlElement, uname: string, name: string): string | undefined {
  const id = nodeIdOf(root, uname);
  const state = child(root, 'status')?.children.find((c) => c.name === 'node_state' && (c.attrs['uname'] === uname || c.attrs['id'] === id));
  const sets = child(state ?? el('x'), 'transient_attributes')?.children ?? [];
  for (const set of sets) for (const nv of set.children) if (nv.attrs['name'] === name) return nv.attrs['value'];
  return undefined;
}

/**
 * Drop a resource's recurring-op records on a node: after a stop, or a role
 * change that cancelled the monitors of the old role.
 */
export function withoutRecurringRecords(root: XmlElement, uname: string, rscId: string): XmlElement {
  return editNodeState(root, uname, (state) => ({
    ...state,
    children: state.children.map((lrm) =>
      lrm.name !== 'lrm'
        ? lrm
        : {
            ...lrm,
            children: lrm.children.map((resources) =>
              resources.name !== 'lrm_resources'
                ? resources
                : {
                    ...resources,
                    children: resources.children.map((entry) =>
                      entry.name === 'lrm_resource' && entry.attrs['id'] === rscId
                        ? { ...entry, children: entry.children.filter((op) => op.name !== 'lrm_rsc_op' || (op.attrs['interval'] ?? '0') === '0') }
                        : entry,
                    ),
                  },
            ),
          },
    ),
  }));
}
