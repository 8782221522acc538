/**
 * Differences between two CIB trees as an ordered list of changes, and
 * applying them. The changes follow the shape of Pacemaker's v2 patchsets
 * (create / delete / modify / move, addressed by XPath-like paths), so a
 * history of committed versions can be stored as patches and shown to people.
 *
 * Paths address an element by id where its id is unique among same-named
 * siblings (`primitive[@id='web']`), else by 1-based position among
 * same-named siblings (`op[2]`). Changes apply in order, and each path is
 * valid at the moment its change applies.
 */
import { CibError } from './errors.js';
import type { Cib, CibVersion, XmlElement } from './model.js';
import { cibWithStatusFromXml, type ParseOptions } from './parse.js';
import { makeElement } from './xml.js';

export type XmlChange =
  | { readonly op: 'create'; readonly path: string; readonly position: number; readonly element: XmlElement }
  | { readonly op: 'delete'; readonly path: string }
  | {
      readonly op: 'modify';
      readonly path: string;
      readonly set: Readonly<Record<string, string>>;
      readonly unset: readonly string[];
      /** New text content; null removes it; absent leaves it. */
      readonly text?: string | null;
    }
  | { readonly op: 'move'; readonly path: string; readonly position: number };

export interface CibPatch {
  readonly source: CibVersion;
  readonly target: CibVersion;
  readonly changes: readonly XmlChange[];
}

// ------------------------------------------------------------------ diff

function keyOf(el: XmlElement, index: number): string {
  return el.attrs.id !== undefined ? `${el.name}\0#${el.attrs.id}` : `${el.name}\0@${index}`;
}

/** Keys for children: by id when present, else by occurrence among same-named children without id. */
function childKeys(children: readonly XmlElement[]): string[] {
  const seen = new Map<string, number>();
  const keys: string[] = [];
  for (const c of children) {
    let key: string;
    if (c.attrs.id !== undefined) {
      key = keyOf(c, 0);
      // A repeated id among siblings falls back to occurrence order.
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      if (n > 0) key = `${key}\0${n}`;
    } else {
      const n = seen.get(c.name) ?? 0;
      seen.set(c.name, n + 1);
      key = keyOf(c, n);
    }
    keys.push(key);
  }
  return keys;
}

/** The path step naming `el` among `siblings` (which contains it). */
function step(el: XmlElement, siblings: readonly XmlElement[]): string {
  const id = el.attrs.id;
  let sameName = 0;
  let sameId = 0;
  let position = 0;
  for (const s of siblings) {
    if (s.name !== el.name) continue;
    sameName++;
    if (s === el) position = sameName;
    if (id !== undefined && s.attrs.id === id) sameId++;
  }
  if (id !== undefined && sameId === 1 && !id.includes("'")) return `${el.name}[@id='${id}']`;
  return sameName === 1 ? el.name : `${el.name}[${position}]`;
}

function sameAttrs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  for (let i = 0; i < ak.length; i++) if (ak[i] !== bk[i] || a[ak[i]!] !== b[ak[i]!]) return false;
  return true;
}

/** Whether applying unset, then set (existing keys stay in place, new ones go last) yields b's key order. */
function keepsOrder(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>, unset: readonly string[]): boolean {
  const removed = new Set(unset);
  const result = Object.keys(a).filter((k) => !removed.has(k));
  for (const k of Object.keys(b)) if (!(k in a)) result.push(k);
  const want = Object.keys(b);
  return result.length === want.length && result.every((k, i) => k === want[i]);
}

/** The changes that turn tree `a` into tree `b` (roots must have the same name). */
export function diffXml(a: XmlElement, b: XmlElement): XmlChange[] {
  if (a.name !== b.name) {
    throw new CibError('VIGIL_CIB_BAD_PATCH', `cannot diff <${a.name}> against <${b.name}>`, { element: b.name });
  }
  const out: XmlChange[] = [];
  diffElement(a, b, () => `/${a.name}`, out);
  return out;
}

/** Paths are built only when a change is emitted: most elements are unchanged, and a step costs O(siblings). */
function lazily(make: () => string): () => string {
  let path: string | undefined;
  return () => (path ??= make());
}

function diffElement(a: XmlElement, b: XmlElement, pathOf: () => string, out: XmlChange[]): void {
  if (a === b) return;
  const attrsDiffer = !sameAttrs(a.attrs, b.attrs);
  if (attrsDiffer || a.text !== b.text) {
    const set: Record<string, string> = {};
    const unset: string[] = [];
    for (const k of Object.keys(b.attrs)) if (a.attrs[k] !== b.attrs[k]) set[k] = b.attrs[k]!;
    for (const k of Object.keys(a.attrs)) if (!(k in b.attrs)) unset.push(k);
    const change: { op: 'modify'; path: string; set: Record<string, string>; unset: string[]; text?: string | null } = {
      op: 'modify',
      path: pathOf(),
      set,
      unset,
    };
    if (a.text !== b.text) change.text = b.text ?? null;
    // Attribute order is part of the document: when set/unset would not
    // reproduce b's order, rewrite them all.
    if (attrsDiffer && !keepsOrder(a.attrs, b.attrs, unset)) {
      for (const k of Object.keys(b.attrs)) set[k] = b.attrs[k]!;
      change.unset = Object.keys(a.attrs);
    }
    out.push(change);
  }
  diffChildren(a, b, pathOf, out);
}

function diffChildren(a: XmlElement, b: XmlElement, pathOf: () => string, out: XmlChange[]): void {
  const aKeys = childKeys(a.children);
  const bKeys = childKeys(b.children);
  const bKeySet = new Set(bKeys);
  const aByKey = new Map<string, XmlElement>();
  a.children.forEach((c, i) => aByKey.set(aKeys[i]!, c));

  // The children list as it stands while the changes so far are applied.
  const working = [...a.children];
  const workingKeys = [...aKeys];
  for (let i = working.length - 1; i >= 0; i--) {
    if (!bKeySet.has(workingKeys[i]!)) {
      out.push({ op: 'delete', path: `${pathOf()}/${step(working[i]!, working)}` });
      working.splice(i, 1);
      workingKeys.splice(i, 1);
    }
  }
  for (let i = 0; i < b.children.length; i++) {
    const key = bKeys[i]!;
    const target = b.children[i]!;
    const from = aByKey.get(key);
    if (from === undefined) {
      out.push({ op: 'create', path: pathOf(), position: i, element: target });
      working.splice(i, 0, target);
      workingKeys.splice(i, 0, key);
      continue;
    }
    const j = workingKeys[i] === key ? i : workingKeys.indexOf(key, i);
    if (j !== i) {
      out.push({ op: 'move', path: `${pathOf()}/${step(working[j]!, working)}`, position: i });
      working.splice(j, 1);
      workingKeys.splice(j, 1);
      working.splice(i, 0, from);
      workingKeys.splice(i, 0, key);
    }
    diffElement(from, target, lazily(() => `${pathOf()}/${step(from, working)}`), out);
    working[i] = target;
  }
}

/** The patch from one CIB to another, with both versions. */
export function diffCib(from: Cib, to: Cib): CibPatch {
  return { source: from.version, target: to.version, changes: diffXml(from.xml, to.xml) };
}

// ------------------------------------------------------------------ apply

const STEP_RE = /^([^[\]/]+)(?:\[@id='([^']*)'\]|\[(\d+)\])?$/;

function badPatch(detail: string, path?: string): never {
  throw new CibError('VIGIL_CIB_BAD_PATCH', detail, path !== undefined ? { field: path } : undefined);
}

/** Indexes of the children along `path`, from the root. */
function resolve(root: XmlElement, path: string): number[] {
  const steps = path.split('/');
  if (steps[0] !== '' || steps.length < 2) badPatch(`'${path}' is not an absolute path`, path);
  const rootStep = STEP_RE.exec(steps[1]!);
  if (!rootStep || rootStep[1] !== root.name) badPatch(`'${path}' does not start at <${root.name}>`, path);
  const indexes: number[] = [];
  let el = root;
  for (const s of steps.slice(2)) {
    const m = STEP_RE.exec(s);
    if (!m) badPatch(`'${s}' is not a path step`, path);
    const [, name, id, nth] = m;
    let found = -1;
    let count = 0;
    for (let i = 0; i < el.children.length && found < 0; i++) {
      const c = el.children[i]!;
      if (c.name !== name) continue;
      count++;
      if (id !== undefined ? c.attrs.id === id : count === (nth === undefined ? 1 : Number(nth))) found = i;
    }
    if (found < 0) badPatch(`nothing at '${path}'`, path);
    indexes.push(found);
    el = el.children[found]!;
  }
  return indexes;
}

/** Rebuilds the ancestors of the element at `indexes` with `fn` applied to it. */
function update(el: XmlElement, indexes: readonly number[], fn: (e: XmlElement) => XmlElement): XmlElement {
  if (indexes.length === 0) return fn(el);
  const [i, ...rest] = indexes;
  const children = [...el.children];
  children[i!] = update(children[i!]!, rest, fn);
  return makeElement(el.name, el.attrs, children, el.text);
}

function applyOne(root: XmlElement, change: XmlChange): XmlElement {
  switch (change.op) {
    case 'create':
      return update(root, resolve(root, change.path), (parent) => {
        if (change.position < 0 || change.position > parent.children.length) {
          badPatch(`position ${change.position} is outside <${parent.name}>`, change.path);
        }
        const children = [...parent.children];
        children.splice(change.position, 0, change.element);
        return makeElement(parent.name, parent.attrs, children, parent.text);
      });
    case 'delete': {
      const indexes = resolve(root, change.path);
      if (indexes.length === 0) badPatch('cannot delete the root', change.path);
      const last = indexes[indexes.length - 1]!;
      return update(root, indexes.slice(0, -1), (parent) =>
        makeElement(parent.name, parent.attrs, parent.children.filter((_, i) => i !== last), parent.text),
      );
    }
    case 'move': {
      const indexes = resolve(root, change.path);
      if (indexes.length === 0) badPatch('cannot move the root', change.path);
      const last = indexes[indexes.length - 1]!;
      return update(root, indexes.slice(0, -1), (parent) => {
        const children = [...parent.children];
        const [moved] = children.splice(last, 1);
        if (change.position < 0 || change.position > children.length) {
          badPatch(`position ${change.position} is outside <${parent.name}>`, change.path);
        }
        children.splice(change.position, 0, moved!);
        return makeElement(parent.name, parent.attrs, children, parent.text);
      });
    }
    case 'modify':
      return update(root, resolve(root, change.path), (el) => {
        const attrs: Record<string, string> = {};
        const unset = new Set(change.unset);
        for (const k of Object.keys(el.attrs)) if (!unset.has(k)) attrs[k] = el.attrs[k]!;
        for (const k of Object.keys(change.set)) attrs[k] = change.set[k]!;
        const text = change.text === undefined ? el.text : change.text === null ? undefined : change.text;
        return makeElement(el.name, attrs, el.children, text);
      });
  }
}

/** Applies changes to a tree; throws VIGIL_CIB_BAD_PATCH (applying nothing) when a path does not resolve. */
export function applyXmlChanges(root: XmlElement, changes: readonly XmlChange[]): XmlElement {
  let el = root;
  for (const change of changes) el = applyOne(el, change);
  return el;
}

/**
 * Applies a patch to the CIB it was made from (same version), re-reading the
 * result; nothing is applied when the version differs, a path does not
 * resolve or the result is not a valid CIB.
 */
export function applyPatch(cib: Cib, patch: CibPatch, opts?: ParseOptions): Cib {
  const v = cib.version;
  const s = patch.source;
  if (v.adminEpoch !== s.adminEpoch || v.epoch !== s.epoch || v.numUpdates !== s.numUpdates) {
    throw new CibError(
      'VIGIL_CIB_PATCH_VERSION',
      `patch is for version ${s.adminEpoch}.${s.epoch}.${s.numUpdates}, the CIB is at ${v.adminEpoch}.${v.epoch}.${v.numUpdates}`,
    );
  }
  // Status-only patches (the frequent kind) share the configuration views.
  return cibWithStatusFromXml(cib, applyXmlChanges(cib.xml, patch.changes), opts);
}

// ------------------------------------------------------------------ XML form

function versionElement(name: 'source' | 'target', v: CibVersion): XmlElement {
  return makeElement(name, { admin_epoch: String(v.adminEpoch), epoch: String(v.epoch), num_updates: String(v.numUpdates) });
}

/**
 * The patch as Pacemaker's `<diff format="2">` document (what `cibadmin
 * --patch` reads). Text-content changes, which Pacemaker's format has no
 * place for, are carried in a `change-text` entry of the change list.
 */
export function patchToXml(patch: CibPatch): XmlElement {
  const changes = patch.changes.map((c): XmlElement => {
    switch (c.op) {
      case 'create':
        return makeElement('change', { operation: 'create', path: c.path, position: String(c.position) }, [c.element]);
      case 'delete':
        return makeElement('change', { operation: 'delete', path: c.path });
      case 'move':
        return makeElement('change', { operation: 'move', path: c.path, position: String(c.position) });
      case 'modify': {
        const list: XmlElement[] = [];
        for (const name of Object.keys(c.set)) list.push(makeElement('change-attr', { name, operation: 'set', value: c.set[name]! }));
        for (const name of c.unset) list.push(makeElement('change-attr', { name, operation: 'unset' }));
        if (c.text !== undefined) {
          list.push(makeElement('change-text', c.text === null ? { operation: 'unset' } : { operation: 'set', value: c.text }));
        }
        return makeElement('change', { operation: 'modify', path: c.path }, [makeElement('change-list', {}, list)]);
      }
    }
  });
  return makeElement('diff', { format: '2' }, [
    makeElement('version', {}, [versionElement('source', patch.source), versionElement('target', patch.target)]),
    ...changes,
  ]);
}

function readVersion(el: XmlElement | undefined, which: string): CibVersion {
  if (!el) badPatch(`<version> has no <${which}>`);
  const n = (name: string): number => {
    const text = el.attrs[name] ?? '0';
    if (!/^\d+$/.test(text)) badPatch(`<${which}> ${name} '${text}' is not a number`);
    return Number(text);
  };
  return { adminEpoch: n('admin_epoch'), epoch: n('epoch'), numUpdates: n('num_updates') };
}

function readPosition(c: XmlElement, path: string): number {
  const text = c.attrs.position;
  if (text === undefined || !/^\d+$/.test(text)) badPatch(`change needs a numeric position, got '${text ?? ''}'`, path);
  return Number(text);
}

/** Reads a `<diff format="2">` document, as written by patchToXml or by Pacemaker (the modify change-result is ignored). */
export function patchFromXml(el: XmlElement): CibPatch {
  if (el.name !== 'diff' || el.attrs.format !== '2') badPatch(`expected <diff format="2">, got <${el.name}>`);
  const version = el.children.find((c) => c.name === 'version');
  const source = readVersion(version?.children.find((c) => c.name === 'source'), 'source');
  const target = readVersion(version?.children.find((c) => c.name === 'target'), 'target');
  const changes: XmlChange[] = [];
  for (const c of el.children) {
    if (c.name !== 'change') continue;
    const path = c.attrs.path;
    if (path === undefined) badPatch('change has no path');
    switch (c.attrs.operation) {
      case 'create': {
        const element = c.children[0];
        if (!element) badPatch('create has no element', path);
        changes.push({ op: 'create', path, position: readPosition(c, path), element });
        break;
      }
      case 'delete':
        changes.push({ op: 'delete', path });
        break;
      case 'move':
        changes.push({ op: 'move', path, position: readPosition(c, path) });
        break;
      case 'modify': {
        const set: Record<string, string> = {};
        const unset: string[] = [];
        let text: string | null | undefined;
        for (const item of c.children.find((x) => x.name === 'change-list')?.children ?? []) {
          const op = item.attrs.operation;
          if (item.name === 'change-text') text = op === 'unset' ? null : (item.attrs.value ?? '');
          else if (item.name !== 'change-attr' || item.attrs.name === undefined) badPatch(`unexpected <${item.name}> in change-list`, path);
          else if (op === 'set') set[item.attrs.name] = item.attrs.value ?? '';
          else if (op === 'unset') unset.push(item.attrs.name);
          else badPatch(`change-attr operation '${op ?? ''}' is not set or unset`, path);
        }
        changes.push(text === undefined ? { op: 'modify', path, set, unset } : { op: 'modify', path, set, unset, text });
        break;
      }
      default:
        badPatch(`unknown change operation '${c.attrs.operation ?? ''}'`, path);
    }
  }
  return { source, target, changes };
}
