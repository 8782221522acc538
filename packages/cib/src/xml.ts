/**
 * XML text <-> XmlElement. fast-xml-parser does the tokenizing; this module
 * turns its order-preserving output into the small immutable tree the rest of
 * the package works on, and writes that tree back out.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CibError } from './errors.js';
import type { XmlElement } from './model.js';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Decodes numeric character references (&#10;) as well as the five XML entities.
  htmlEntities: true,
  // A CIB nests about ten levels; rules may nest a few more. Deeper input is refused, not recursed into.
  maxNestedTags: 100,
  processEntities: true,
});

type FxpNode = Record<string, unknown>;

const EMPTY_ATTRS: Readonly<Record<string, string>> = Object.freeze({});
const EMPTY_CHILDREN: readonly XmlElement[] = Object.freeze([]);

function convert(node: FxpNode): XmlElement | string | undefined {
  let name: string | undefined;
  for (const key in node) {
    if (key !== ':@') {
      name = key;
      break;
    }
  }
  if (name === undefined) return undefined;
  if (name === '#text') return String(node[name]);
  if (name.startsWith('?') || name === '#comment') return undefined;
  const rawAttrs = node[':@'] as Record<string, unknown> | undefined;
  let attrs = EMPTY_ATTRS;
  if (rawAttrs) {
    const out: Record<string, string> = {};
    for (const key in rawAttrs) {
      // Plain assignment to "__proto__" would change the prototype instead of adding an attribute.
      if (key === '__proto__') Object.defineProperty(out, key, { value: String(rawAttrs[key]), enumerable: true, writable: true, configurable: true });
      else out[key] = String(rawAttrs[key]);
    }
    attrs = out;
  }
  const rawChildren = node[name] as FxpNode[] | undefined;
  let children: XmlElement[] | undefined;
  let text: string | undefined;
  if (rawChildren) {
    for (const raw of rawChildren) {
      const child = convert(raw);
      if (child === undefined) continue;
      if (typeof child === 'string') text = text === undefined ? child : text + child;
      else (children ??= []).push(child);
    }
  }
  const el: { name: string; attrs: Readonly<Record<string, string>>; children: readonly XmlElement[]; text?: string } = {
    name,
    attrs,
    children: children ?? EMPTY_CHILDREN,
  };
  if (text !== undefined && text !== '') el.text = text;
  return el;
}

/** Parses XML text into an element tree. Comments, processing instructions and the declaration are dropped. */
export function parseXml(text: string, source?: string): XmlElement {
  const where = source !== undefined ? { source } : undefined;
  if (typeof text !== 'string' || text.trim() === '') {
    throw new CibError('VIGIL_CIB_NOT_XML', 'empty document, expected XML', where);
  }
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    const e = valid.err;
    throw new CibError('VIGIL_CIB_NOT_XML', `not well-formed XML at line ${e.line}, column ${e.col}: ${e.msg}`, where);
  }
  let nodes: FxpNode[];
  try {
    nodes = parser.parse(text) as FxpNode[];
  } catch (e) {
    // The validator passed, so this is one of the parser's own limits (nesting depth, entity expansion).
    throw new CibError('VIGIL_CIB_NOT_XML', `cannot parse: ${(e as Error).message}`, where);
  }
  const roots: XmlElement[] = [];
  for (const node of nodes) {
    const el = convert(node);
    if (el !== undefined && typeof el !== 'string') roots.push(el);
  }
  if (roots.length !== 1) {
    throw new CibError('VIGIL_CIB_NOT_XML', `expected exactly one root element, found ${roots.length}`, where);
  }
  return roots[0]!;
}

function escapeAttr(value: string): string {
  return value.replace(/[&<>"\n\r\t]/g, (c) => ATTR_ESCAPES[c]!);
}
const ATTR_ESCAPES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;',
};

function escapeText(value: string): string {
  return value.replace(/[&<>]/g, (c) => ATTR_ESCAPES[c]!);
}

export interface SerializeOptions {
  /** Indent nested elements by two spaces, one element per line. */
  readonly pretty?: boolean;
}

/** Writes an element tree as XML text (no declaration). */
export function serializeXml(el: XmlElement, opts: SerializeOptions = {}): string {
  const out: string[] = [];
  write(el, opts.pretty ? '' : undefined, out);
  return out.join('') + (opts.pretty ? '\n' : '');
}

function write(el: XmlElement, indent: string | undefined, out: string[]): void {
  if (indent !== undefined && out.length > 0) out.push('\n', indent);
  out.push('<', el.name);
  for (const key in el.attrs) out.push(' ', key, '="', escapeAttr(el.attrs[key]!), '"');
  if (el.children.length === 0 && el.text === undefined) {
    out.push('/>');
    return;
  }
  out.push('>');
  if (el.text !== undefined) out.push(escapeText(el.text));
  const inner = indent === undefined ? undefined : indent + '  ';
  for (const child of el.children) write(child, inner, out);
  if (indent !== undefined && el.children.length > 0) out.push('\n', indent);
  out.push('</', el.name, '>');
}

// ------------------------------------------------------------ tree helpers

export function childElements(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) if (c.name === name) out.push(c);
  return out;
}

export function firstChild(el: XmlElement, name: string): XmlElement | undefined {
  for (const c of el.children) if (c.name === name) return c;
  return undefined;
}

export function makeElement(
  name: string,
  attrs: Readonly<Record<string, string>> = {},
  children: readonly XmlElement[] = [],
  text?: string,
): XmlElement {
  const el: { name: string; attrs: Readonly<Record<string, string>>; children: readonly XmlElement[]; text?: string } = {
    name,
    attrs,
    children,
  };
  if (text !== undefined) el.text = text;
  return el;
}
