import type { Cib } from './model.js';
import { serializeXml, type SerializeOptions } from './xml.js';

/** The CIB as XML text, written from its element tree (the source of truth). */
export function serializeCib(cib: Cib, opts: SerializeOptions = {}): string {
  return serializeXml(cib.xml, opts);
}
