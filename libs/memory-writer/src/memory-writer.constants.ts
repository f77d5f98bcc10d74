import { TOPICS } from '@phoenix/contracts';
/** Where the memory-writer publishes every memory it added or deleted. */
export const MEMORY_CHANGES_TOPIC = TOPICS.memoryChanges;

/** Requests to the memory-writer (forget an entity), keyed by entity; always consumed. */
export const MEMORY_REQUESTS_TOPIC = TOPICS.memoryRequests;
