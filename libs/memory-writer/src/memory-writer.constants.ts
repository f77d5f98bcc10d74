/** Where the memory-writer publishes every memory it added or deleted. */
export const MEMORY_CHANGES_TOPIC = 'memory.changes';
