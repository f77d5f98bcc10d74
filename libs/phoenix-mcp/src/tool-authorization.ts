import type { Action, Principal } from '@phoenix/access';

/** An `authorize` for `McpHttpEndpoint` (@phoenix/mcp-http) from a tool → actions table (a tool not in it needs no action). */
export function authorizeByActions(actions: Record<string, readonly Action[]>): (tool: string, caller: Principal | undefined) => string | null {
  return (tool, caller) => {
    const needed = actions[tool];
    if (!needed || needed.length === 0) return null;
    if (!caller) return `tool ${tool} needs ${needed.join(' or ')}`;
    return needed.some((a) => caller.can(a)) ? null : `key ${caller.name} lacks the scope for tool ${tool} (needs ${needed.join(' or ')})`;
  };
}
