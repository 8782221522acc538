export * from './model.js';
export { CibError, CIB_ERROR_CODES, type CibErrorCode, type Where, type WhereLike } from './errors.js';
export { parseXml, serializeXml, type SerializeOptions } from './xml.js';
export { parseCib, cibFromXml, cibWithStatusFromXml, RESOURCE_CLASSES, type ParseOptions } from './parse.js';
export { serializeCib } from './serialize.js';
export { findResource, parentOf, allPrimitives, expandTags, expandReferences, clusterOptions } from './query.js';
export {
  withClusterOption, withConfigurationSection, withStatus, withNodeAttribute, withVersion, emptyCib, bumpEpoch,
  bumpNumUpdates, compareVersions,
} from './edit.js';
export {
  parseScore, addScores, clampScore, scoreToString, parseDurationMs, parseBoolean, isTruthy, normalizeRole, parseInteger,
} from './values.js';
export {
  parseIsoDateTime, parseRange, dateSpecMatches, addDuration, calendarFields, type CalendarFields, type Range,
  type DurationFields,
} from './dates.js';
export {
  evaluateRule, evaluateExpression, ruleScore, unpackNvSets, compareTyped, compareVersionStrings,
  type RuleContext, type UnpackOptions,
} from './rules.js';
export {
  diffXml, diffCib, applyXmlChanges, applyPatch, patchToXml, patchFromXml, type XmlChange, type CibPatch,
} from './diff.js';
