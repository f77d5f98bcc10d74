import { PhoenixError } from '@phoenix/errors';
export enum McpErrorCode {
  /** The server cannot be reached or the connection dropped; worth retrying. */
  Unavailable = 'MCP_UNAVAILABLE',
  /** The call did not finish within its timeout; it may have run, so it is not retried. */
  Timeout = 'MCP_TIMEOUT',
  /** The server answered the request with a protocol error. */
  Protocol = 'MCP_PROTOCOL_ERROR',
}

/** A failed call to an MCP server; only an unavailable server is worth calling again (a timed-out call may have run). */
export class McpCallError extends PhoenixError<McpErrorCode> {
  constructor(code: McpErrorCode, message: string, cause?: unknown) {
    super(code, message, { kind: code === McpErrorCode.Unavailable ? 'unavailable' : 'record', cause });
  }
}
