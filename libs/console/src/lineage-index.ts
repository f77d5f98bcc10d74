/**
 * Cause and effect across topics, from the envelopes' `causationId`: every derived event (a routed
 * command, a tool result, a task step, an n8n delivery, a memory change) names the event that
 * caused it. Bounded: the oldest events leave the index once it holds `maxEntries`.
 */
export interface LineageNode {
  id: string;
  type: string;
  source: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  occurredAt: number;
  ingestedAt: number;
  correlationId: string | null;
  causationId: string | null;
  tenant: string | null;
  /** The payload as JSON text, cut to a few hundred characters. */
  preview: string;
}

export interface LineageTree {
  node: LineageNode | { id: string; hidden: true };
  /** Milliseconds from the root's ingestion to this event's. */
  afterRootMs: number | null;
  children: LineageTree[];
}

export interface Lineage {
  eventId: string;
  /** The topmost cause the index holds; its own cause, if any, is older than the index. */
  root: LineageTree;
  /** Ids from the root down to the event asked for. */
  path: string[];
  /** The root names a cause the index no longer (or never) held. */
  causeOutsideIndex: string | null;
  /** Nodes in the tree; at most `maxNodes`, `truncated` when there were more. */
  nodes: number;
  truncated: boolean;
}

/** Fills in what the headers do not carry (ingestion time, tenant, payload preview) from the event's bytes. */
export type NodeDecoder = (node: LineageNode, raw: Buffer) => Promise<void>;

export class LineageIndex {
  private readonly nodes = new Map<string, LineageNode>();
  private readonly children = new Map<string, string[]>();
  /** Bytes of nodes indexed from their headers alone, decoded when a lineage first shows them. */
  private readonly undecoded = new Map<string, Buffer>();
  decoder?: NodeDecoder;
  /** Called on every lineage asked for (the feed that fills the index starts on use). */
  onUse?: () => void;

  constructor(
    readonly maxEntries = 50_000,
    private readonly maxNodes = 500,
  ) {}

  get size(): number {
    return this.nodes.size;
  }

  /** Adds an event (with its bytes when the node came from headers only); a redelivered id keeps its first position. */
  add(node: LineageNode, raw?: Buffer): void {
    if (this.nodes.has(node.id)) return;
    this.nodes.set(node.id, node);
    if (raw) this.undecoded.set(node.id, raw);
    if (node.causationId) {
      const siblings = this.children.get(node.causationId);
      if (siblings) siblings.push(node.id);
      else this.children.set(node.causationId, [node.id]);
    }
    while (this.nodes.size > this.maxEntries) this.evictOldest();
  }

  get(id: string): LineageNode | undefined {
    this.onUse?.();
    return this.nodes.get(id);
  }

  /** The tree around `eventId`: up to its topmost known cause, then everything that caused. */
  lineage(eventId: string, visible: (node: LineageNode) => boolean = () => true): Lineage | undefined {
    const start = this.nodes.get(eventId);
    if (!start) return undefined;
    const path = [start.id];
    let root = start;
    const seen = new Set([start.id]);
    while (root.causationId && this.nodes.has(root.causationId) && !seen.has(root.causationId)) {
      root = this.nodes.get(root.causationId)!;
      seen.add(root.id);
      path.unshift(root.id);
    }
    let count = 0;
    let truncated = false;
    const visited = new Set<string>();
    const build = (node: LineageNode): LineageTree => {
      count++;
      visited.add(node.id);
      const kids: LineageTree[] = [];
      for (const id of this.children.get(node.id) ?? []) {
        const child = this.nodes.get(id);
        if (!child || visited.has(id)) continue;
        if (count >= this.maxNodes) {
          truncated = true;
          break;
        }
        kids.push(build(child));
      }
      kids.sort((a, b) => (a.afterRootMs ?? 0) - (b.afterRootMs ?? 0));
      return { node: visible(node) ? node : { id: node.id, hidden: true }, afterRootMs: node.ingestedAt - root.ingestedAt, children: kids };
    };
    const tree = build(root);
    const causeOutsideIndex = root.causationId && !this.nodes.has(root.causationId) ? root.causationId : null;
    return { eventId, root: tree, path, causeOutsideIndex, nodes: count, truncated };
  }

  /**
   * {@link lineage}, with every node of the tree decoded first (nodes are indexed from Kafka headers
   * so the feed does not decode every event; the few a lineage shows are decoded on demand).
   */
  async resolve(eventId: string, visible: (node: LineageNode) => boolean = () => true): Promise<Lineage | undefined> {
    this.onUse?.();
    const first = this.lineage(eventId, visible);
    if (!first || !this.decoder) return first;
    const todo: [LineageNode, Buffer][] = [];
    const walk = (t: LineageTree) => {
      const raw = this.undecoded.get(t.node.id);
      const node = this.nodes.get(t.node.id);
      if (raw && node) todo.push([node, raw]);
      t.children.forEach(walk);
    };
    walk(first.root);
    if (!todo.length) return first;
    await Promise.all(
      todo.map(async ([node, raw]) => {
        await this.decoder!(node, raw).catch(() => undefined);
        this.undecoded.delete(node.id);
      }),
    );
    return this.lineage(eventId, visible);
  }

  private evictOldest(): void {
    const oldest = this.nodes.keys().next().value as string;
    const node = this.nodes.get(oldest)!;
    this.nodes.delete(oldest);
    this.undecoded.delete(oldest);
    // Its children stay linked under its id (they still name it); the link goes with the last of them.
    if (node.causationId) {
      const siblings = this.children.get(node.causationId);
      if (siblings) {
        const i = siblings.indexOf(oldest);
        if (i >= 0) siblings.splice(i, 1);
        if (!siblings.length) this.children.delete(node.causationId);
      }
    }
    const own = this.children.get(oldest);
    if (own && !own.some((id) => this.nodes.has(id))) this.children.delete(oldest);
  }
}

/** Every visible event of a lineage tree. */
export function lineageNodes(tree: LineageTree): LineageNode[] {
  const out: LineageNode[] = [];
  const walk = (t: LineageTree) => {
    if (!('hidden' in t.node)) out.push(t.node);
    t.children.forEach(walk);
  };
  walk(tree);
  return out;
}

/**
 * Whether each event is in the warehouse, from the memory-writer group's committed offsets: the
 * group commits a partition's offset only after the warehouse transaction holding its rows, so an
 * event below the committed offset has its RAW_EVENTS row. Events on topics the group does not
 * read are left out.
 */
export function warehouseRows(nodes: LineageNode[], committed: Map<string, bigint>): Record<string, 'stored' | 'pending'> {
  const out: Record<string, 'stored' | 'pending'> = {};
  for (const n of nodes) {
    const next = committed.get(`${n.topic}:${n.partition}`);
    if (next === undefined) continue;
    out[n.id] = BigInt(n.offset) < next ? 'stored' : 'pending';
  }
  return out;
}
