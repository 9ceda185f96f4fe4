// TransferError: a GeorepError (RSYNC_FAILED, TAR_FAILED or ABORTED) that also carries what
// the process did, execa-style: argv, exit code, signal, stderr tail and duration.

import { GeorepError } from '../errors.js';
import type { ErrorCode, GeorepErrorOptions } from '../errors.js';

export interface TransferErrorFields {
  readonly argv: readonly string[];
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stderrTail: string;
  readonly durationMs: number;
}

export class TransferError extends GeorepError {
  readonly argv: readonly string[];
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stderrTail: string;
  readonly durationMs: number;

  constructor(code: ErrorCode, message: string, fields: TransferErrorFields, options: GeorepErrorOptions = {}) {
    super(code, message, options);
    this.argv = fields.argv;
    this.exitCode = fields.exitCode;
    this.signal = fields.signal;
    this.stderrTail = fields.stderrTail;
    this.durationMs = fields.durationMs;
  }
}

export const isTransferError = (e: unknown): e is TransferError => e instanceof TransferError;
