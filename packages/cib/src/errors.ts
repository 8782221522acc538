/**
 * Errors raised while reading a CIB. Codes are stable and never reused:
 * callers (the CLI, the CIB store) branch on `code`, people read `message`.
 */

export const CIB_ERROR_CODES = {
  VIGIL_CIB_NOT_XML: 'the text is not well-formed XML',
  VIGIL_CIB_BAD_ROOT: 'the document root is not <cib>',
  VIGIL_CIB_MISSING_ID: 'an element that needs an id has none',
  VIGIL_CIB_BAD_ID: 'an id is not a valid XML id (letter or underscore first; no colons or spaces)',
  VIGIL_CIB_DUPLICATE_ID: 'two configuration elements share an id',
  VIGIL_CIB_MISSING_ATTRIBUTE: 'a required attribute is absent',
  VIGIL_CIB_BAD_VALUE: 'an attribute has a value outside its allowed set',
  VIGIL_CIB_BAD_SCORE: 'a score is not an integer or ±INFINITY',
  VIGIL_CIB_BAD_DURATION: 'an interval or timeout is not a valid duration',
  VIGIL_CIB_BAD_BOOLEAN: 'a boolean is not one of true/false/yes/no/on/off/1/0/y/n',
  VIGIL_CIB_BAD_NUMBER: 'a number field does not hold an integer',
  VIGIL_CIB_BAD_ROLE: 'a role is not Started, Stopped, Promoted, Unpromoted (or Master/Slave)',
  VIGIL_CIB_BAD_DATE: 'a date, date_spec range or duration is invalid',
  VIGIL_CIB_UNKNOWN_CLASS: 'a resource names an unknown agent class',
  VIGIL_CIB_BAD_NESTING: 'resources are nested in a way Pacemaker forbids',
  VIGIL_CIB_UNKNOWN_REFERENCE: 'a constraint, tag or fencing level names something that does not exist',
  VIGIL_CIB_DANGLING_IDREF: 'an id-ref names no element',
  VIGIL_CIB_MISSING_SECTION: 'a section every CIB has (configuration, resources...) is absent',
  VIGIL_CIB_BAD_PATCH: 'a patch change names a path that does not resolve, or cannot apply',
  VIGIL_CIB_PATCH_VERSION: 'a patch was made for another CIB version than the one it is applied to',
  VIGIL_CIB_UNKNOWN_ELEMENT: 'an element is not allowed where it appears',
} as const;

export type CibErrorCode = keyof typeof CIB_ERROR_CODES;

/** Where a problem is: file, element name, element id, attribute. */
export interface Where {
  readonly source?: string;
  readonly element?: string;
  readonly id?: string;
  readonly field?: string;
}

/** A location, or just the name of the field or option (`'--interval'`). */
export type WhereLike = Where | string;

export function toWhere(where: WhereLike | undefined): Where | undefined {
  return typeof where === 'string' ? { field: where } : where;
}

export function describeWhere(whereLike: WhereLike | undefined): string {
  const where = toWhere(whereLike);
  if (!where) return '';
  const parts: string[] = [];
  if (where.source) parts.push(where.source);
  if (where.element) parts.push(where.id !== undefined ? `${where.element} '${where.id}'` : `<${where.element}>`);
  else if (where.id !== undefined) parts.push(`'${where.id}'`);
  if (where.field) parts.push(where.field);
  return parts.length ? parts.join(': ') + ': ' : '';
}

export class CibError extends Error {
  readonly code: CibErrorCode;
  readonly source?: string;
  readonly element?: string;
  readonly id?: string;
  readonly field?: string;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(code: CibErrorCode, detail: string, whereLike?: WhereLike) {
    super(describeWhere(whereLike) + detail);
    const where = toWhere(whereLike);
    this.name = 'CibError';
    this.code = code;
    this.detail = detail;
    if (where?.source !== undefined) this.source = where.source;
    if (where?.element !== undefined) this.element = where.element;
    if (where?.id !== undefined) this.id = where.id;
    if (where?.field !== undefined) this.field = where.field;
  }
}
