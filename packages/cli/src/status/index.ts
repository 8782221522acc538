import type { ClusterStatus } from './model.js';
import { renderStatusText } from './text.js';
import { renderStatusXml } from './xml.js';

export * from './model.js';
export { renderStatusText, formatTime } from './text.js';
export { renderStatusXml, CRM_MON_API_VERSION } from './xml.js';

export type StatusFormat = 'text' | 'json' | 'xml';
export const STATUS_FORMATS: readonly StatusFormat[] = ['text', 'json', 'xml'];

/** JSON is the status model itself, one stable documented shape (see README). */
export function renderStatusJson(s: ClusterStatus): string {
  return JSON.stringify(s, null, 2) + '\n';
}

export function renderStatus(s: ClusterStatus, format: StatusFormat): string {
  switch (format) {
    case 'text':
      return renderStatusText(s);
    case 'json':
      return renderStatusJson(s);
    case 'xml':
      return renderStatusXml(s);
  }
}
