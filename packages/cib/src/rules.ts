/**
 * Rule evaluation and name/value set unpacking. Pure: the caller supplies
 * node attributes, the resource and operation in question, and the time.
 */
import { addDuration, dateSpecMatches, parseIsoDateTime } from './dates.js';
import {
  INFINITY,
  type AttributeExpression,
  type DateExpression,
  type ExpressionType,
  type NvSet,
  type OperationExpression,
  type ResourceExpression,
  type Rule,
  type RuleExpression,
} from './model.js';
import { parseScore } from './values.js';

export interface RuleContext {
  /** Node attributes including the built-ins (#uname, #id, #kind, #is_dc, ...), which the caller fills in. */
  readonly nodeAttrs?: Readonly<Record<string, string>>;
  /** The current time, epoch seconds. */
  readonly nowSec: number;
  /** Offset of local time from UTC for date_spec matching (Pacemaker uses the node's zone); default 0. */
  readonly utcOffsetSec?: number;
  readonly rsc?: { readonly class: string; readonly provider?: string; readonly type: string };
  readonly op?: { readonly name: string; readonly intervalMs: number };
  /** Resource parameters, for `value-source="param"`. */
  readonly params?: Readonly<Record<string, string>>;
  /** Resource meta attributes, for `value-source="meta"`. */
  readonly meta?: Readonly<Record<string, string>>;
}

/** An empty rule is satisfied; otherwise its expressions combine with `boolean-op`. */
export function evaluateRule(rule: Rule, ctx: RuleContext): boolean {
  if (rule.expressions.length === 0) return true;
  if (rule.booleanOp === 'or') {
    for (const expr of rule.expressions) if (evaluateExpression(expr, ctx)) return true;
    return false;
  }
  for (const expr of rule.expressions) if (!evaluateExpression(expr, ctx)) return false;
  return true;
}

export function evaluateExpression(expr: RuleExpression, ctx: RuleContext): boolean {
  switch (expr.kind) {
    case 'expression':
      return evaluateAttributeExpression(expr, ctx);
    case 'date_expression':
      return evaluateDateExpression(expr, ctx);
    case 'rsc_expression':
      return evaluateResourceExpression(expr, ctx);
    case 'op_expression':
      return evaluateOperationExpression(expr, ctx);
    case 'rule':
      return evaluateRule(expr.rule, ctx);
  }
}

function evaluateAttributeExpression(expr: AttributeExpression, ctx: RuleContext): boolean {
  const actual = ctx.nodeAttrs?.[expr.attribute];
  if (expr.operation === 'defined') return actual !== undefined;
  if (expr.operation === 'not_defined') return actual === undefined;
  let expected: string | undefined;
  if (expr.value !== undefined) {
    if (expr.valueSource === 'param') expected = ctx.params?.[expr.value];
    else if (expr.valueSource === 'meta') expected = ctx.meta?.[expr.value];
    else expected = expr.value;
  }
  if (expr.operation === 'eq' || expr.operation === 'ne') {
    const equal =
      actual === undefined || expected === undefined
        ? actual === expected
        : compareTyped(actual, expected, expr.type ?? 'string') === 0;
    return expr.operation === 'eq' ? equal : !equal;
  }
  // An ordering against a missing value is meaningless, so it never holds.
  if (actual === undefined || expected === undefined) return false;
  const type = expr.type ?? (actual.includes('.') || expected.includes('.') ? 'number' : 'integer');
  const cmp = compareTyped(actual, expected, type);
  switch (expr.operation) {
    case 'lt':
      return cmp < 0;
    case 'lte':
      return cmp <= 0;
    case 'gt':
      return cmp > 0;
    case 'gte':
      return cmp >= 0;
  }
}

const NUMBER_RE = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/**
 * Compares two values as `type`. Numeric types fall back to a string
 * comparison when either side does not parse, as Pacemaker documents; string
 * comparison ignores case, as Pacemaker's does.
 */
export function compareTyped(a: string, b: string, type: ExpressionType): number {
  if ((type === 'integer' || type === 'number') && NUMBER_RE.test(a) && NUMBER_RE.test(b)) {
    let x = Number(a);
    let y = Number(b);
    if (type === 'integer') {
      x = Math.trunc(x);
      y = Math.trunc(y);
    }
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (type === 'version') return compareVersionStrings(a, b);
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Dotted versions compared field by field as integers; a missing field counts as 0. */
export function compareVersionStrings(a: string, b: string): number {
  const xs = a.split('.');
  const ys = b.split('.');
  const n = Math.max(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const x = parseInt(xs[i] ?? '0', 10) || 0;
    const y = parseInt(ys[i] ?? '0', 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function evaluateDateExpression(expr: DateExpression, ctx: RuleContext): boolean {
  const where = { element: 'date_expression', id: expr.id };
  const now = ctx.nowSec;
  switch (expr.operation) {
    case 'gt':
      return expr.start !== undefined && now > parseIsoDateTime(expr.start, { ...where, field: 'start' });
    case 'lt':
      return expr.end !== undefined && now < parseIsoDateTime(expr.end, { ...where, field: 'end' });
    case 'date_spec':
      return expr.dateSpec !== undefined && dateSpecMatches(expr.dateSpec, now, ctx.utcOffsetSec ?? 0);
    case 'in_range': {
      const start = expr.start !== undefined ? parseIsoDateTime(expr.start, { ...where, field: 'start' }) : undefined;
      let end = expr.end !== undefined ? parseIsoDateTime(expr.end, { ...where, field: 'end' }) : undefined;
      if (end === undefined && start !== undefined && expr.duration !== undefined) {
        end = addDuration(start, expr.duration, { element: 'duration', id: expr.duration.id });
      }
      if (start === undefined && end === undefined) return false;
      return (start === undefined || now >= start) && (end === undefined || now <= end);
    }
  }
}

function evaluateResourceExpression(expr: ResourceExpression, ctx: RuleContext): boolean {
  const rsc = ctx.rsc;
  if (expr.class !== undefined && rsc?.class !== expr.class) return false;
  if (expr.provider !== undefined && rsc?.provider !== expr.provider) return false;
  if (expr.type !== undefined && rsc?.type !== expr.type) return false;
  return true;
}

function evaluateOperationExpression(expr: OperationExpression, ctx: RuleContext): boolean {
  const op = ctx.op;
  if (op === undefined || op.name !== expr.name) return false;
  return expr.intervalMs === undefined || op.intervalMs === expr.intervalMs;
}

/**
 * The score a satisfied location rule contributes on a node: the value of its
 * score-attribute on that node, else its score. A node without the attribute
 * gets -INFINITY (Pacemaker's behaviour: no value, no placement there); a
 * value that is not a score counts as 0.
 */
export function ruleScore(rule: Rule, nodeAttrs: Readonly<Record<string, string>> | undefined): number {
  if (rule.scoreAttribute !== undefined) {
    const text = nodeAttrs?.[rule.scoreAttribute];
    if (text === undefined) return -INFINITY;
    try {
      return parseScore(text);
    } catch {
      return 0;
    }
  }
  return rule.score ?? 0;
}

export interface UnpackOptions {
  /** Later sets overwrite earlier values instead of the first value winning. */
  readonly overwrite?: boolean;
  /** A set with this id is applied before all others regardless of score (cib-bootstrap-options). */
  readonly firstId?: string;
}

/**
 * Flattens name/value sets: sets whose rule holds are applied in descending
 * score order (ties keep document order); the first value of a name wins
 * unless `overwrite`. An nvpair without a value is skipped.
 */
export function unpackNvSets(
  sets: readonly NvSet[],
  ctx: RuleContext,
  opts: UnpackOptions = {},
): Record<string, string> {
  const ordered = sets
    .map((set, index) => ({ set, index }))
    .sort((a, b) => {
      if (opts.firstId !== undefined) {
        const af = a.set.id === opts.firstId ? 1 : 0;
        const bf = b.set.id === opts.firstId ? 1 : 0;
        if (af !== bf) return bf - af;
      }
      return (b.set.score ?? 0) - (a.set.score ?? 0) || a.index - b.index;
    });
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const { set } of ordered) {
    if (set.rule !== undefined && !evaluateRule(set.rule, ctx)) continue;
    for (const pair of set.nvpairs) {
      if (pair.value === undefined) continue;
      if (opts.overwrite || !(pair.name in out)) out[pair.name] = pair.value;
    }
  }
  return { ...out };
}
