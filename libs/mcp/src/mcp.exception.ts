export enum McpErrorCode {
  /** The server cannot be reached or the connection dropped; worth retrying. */
  Unavailable = 'MCP_UNAVAILABLE',
  /** The call did not finish within its timeout; it may have run, so it is not retried. */
  Timeout = 'MCP_TIMEOUT',
  /** The server answered the request with a protocol error. */
  Protocol = 'MCP_PROTOCOL_ERROR',
}

export class McpCallError extends Error {
  constructor(
    readonly code: McpErrorCode,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'McpCallError';
  }

  get transient(): boolean {
    return this.code === McpErrorCode.Unavailable;
  }
}
