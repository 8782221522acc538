import { readFileSync } from 'node:fs';
import { CibError, parseCib } from '@vigil/cib';
import { clusterStatus, renderStatus, STATUS_FORMATS, type StatusFormat } from '../status/index.js';

/** Why a CIB file could not be shown, with the exit code to leave with (sysexits: 64 usage, 65 data, 66 no input). */
export class StatusFileError extends Error {
  constructor(
    message: string,
    readonly exitCode: 64 | 65 | 66,
  ) {
    super(message);
    this.name = 'StatusFileError';
  }
}

/**
 * The offline form of `vigil status`: crm_mon's view of a CIB file, in
 * text, JSON or crm_mon XML, without a running node (for a saved CIB, a
 * crm_report, or a CIB about to be loaded). Failure expiry is judged at `nowSec`.
 */
export function statusOfCibFile(file: string, output: string, nowSec: number): string {
  if (!STATUS_FORMATS.includes(output as StatusFormat)) {
    throw new StatusFileError(`--output: '${output}' is not one of ${STATUS_FORMATS.join(', ')}`, 64);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new StatusFileError(`cannot read ${file}: ${(err as Error).message}`, 66);
  }
  try {
    return renderStatus(clusterStatus(parseCib(text, { source: file }), { nowSec }), output as StatusFormat);
  } catch (err) {
    if (err instanceof CibError) throw new StatusFileError(err.message, 65);
    throw err;
  }
}
