import { z } from 'zod';
import { createEnvelope, newEventId } from './envelope';
import { ChatMessage, Envelope, Feedback, UiAction } from './generated/events.generated';
import { JsonValue } from './json';
import { InteractionKind, TOPICS } from './topic-names';

const id = z.string().min(1).max(200);
const json = z.json().optional();

/** What a client sends to record a chat message; ids default to fresh ones. */
export const chatInputSchema = z
  .object({
    conversationId: id,
    messageId: id.optional(),
    role: z.enum(['user', 'assistant', 'system', 'tool']),
    text: z.string().min(1).max(100_000),
    userId: id.optional(),
    responseId: id.optional().describe('For assistant messages; generated when absent so feedback can refer to it'),
    replyTo: id.optional(),
    model: z.string().max(200).optional(),
    metadata: json,
    correlationId: id.optional(),
    occurredAt: z
      .union([z.number().int().nonnegative(), z.iso.datetime({ offset: true })])
      .optional()
      .describe('When the message was written (epoch ms or ISO-8601), for importing past conversations; defaults to now'),
  })
  .strict();

export const actionInputSchema = z
  .object({ userId: id.optional(), sessionId: id.optional(), action: z.string().min(1).max(100), target: z.string().min(1).max(500), value: json, responseId: id.optional(), correlationId: id.optional() })
  .strict();

/** The fields of a feedback input (the cross-field rule is in {@link feedbackInputSchema}). */
export const feedbackFields = z
  .object({
    feedbackId: id.optional(),
    responseId: id,
    kind: z.enum(['rating', 'thumbs', 'correction', 'label']),
    userId: id.optional(),
    rating: z.number().int().min(1).max(5).optional(),
    thumbs: z.enum(['up', 'down']).optional(),
    correction: z.string().min(1).max(100_000).optional(),
    label: z.string().min(1).max(200).optional(),
    comment: z.string().max(10_000).optional(),
    correlationId: id.optional().describe('The rated response’s correlation id, so feedback joins its flow'),
  })
  .strict();

export const feedbackInputSchema = feedbackFields.superRefine((f, ctx) => {
  const need = { rating: 'rating', thumbs: 'thumbs', correction: 'correction', label: 'label' } as const;
  if (f[need[f.kind]] === undefined) ctx.addIssue({ code: 'custom', path: [need[f.kind]], message: `is required for kind ${f.kind}` });
});


export const INTERACTION_TOPICS: Record<InteractionKind, string> = { chat: TOPICS.interactionsChat, actions: TOPICS.interactionsActions, feedback: TOPICS.interactionsFeedback };

/** Builds the event for a validated interaction input: topic, envelope (keyed so related events stay in order). */
export function interactionEvent(kind: InteractionKind, input: unknown, source: string): { topic: string; event: Envelope<ChatMessage | UiAction | Feedback> } {
  if (kind === 'chat') {
    const c = chatInputSchema.parse(input);
    const payload: ChatMessage = {
      conversationId: c.conversationId,
      messageId: c.messageId ?? newEventId(),
      role: c.role,
      text: c.text,
      userId: c.userId ?? null,
      responseId: c.responseId ?? (c.role === 'assistant' ? newEventId() : null),
      replyTo: c.replyTo ?? null,
      model: c.model ?? null,
      metadata: (c.metadata ?? null) as JsonValue | null,
    };
    return { topic: INTERACTION_TOPICS.chat, event: createEnvelope({ type: `chat.message.${c.role}`, source, key: c.conversationId, correlationId: c.correlationId, payload, ...(c.occurredAt !== undefined ? { occurredAt: typeof c.occurredAt === 'string' ? Date.parse(c.occurredAt) : c.occurredAt } : {}) }) };
  }
  if (kind === 'actions') {
    const a = actionInputSchema.parse(input);
    const payload: UiAction = { userId: a.userId ?? null, sessionId: a.sessionId ?? null, action: a.action, target: a.target, value: (a.value ?? null) as JsonValue | null, responseId: a.responseId ?? null };
    return { topic: INTERACTION_TOPICS.actions, event: createEnvelope({ type: `ui.${a.action}`, source, key: a.sessionId ?? a.userId ?? null, correlationId: a.correlationId, payload }) };
  }
  const f = feedbackInputSchema.parse(input);
  const payload: Feedback = {
    feedbackId: f.feedbackId ?? newEventId(),
    responseId: f.responseId,
    kind: f.kind,
    userId: f.userId ?? null,
    rating: f.rating ?? null,
    thumbs: f.thumbs ?? null,
    correction: f.correction ?? null,
    label: f.label ?? null,
    comment: f.comment ?? null,
  };
  return { topic: INTERACTION_TOPICS.feedback, event: createEnvelope({ type: `feedback.${f.kind}`, source, key: f.responseId, correlationId: f.correlationId, payload }) };
}

/** The ids a client keeps after recording an interaction (the ones later feedback refers to). */
export function interactionIds(event: Envelope<ChatMessage | UiAction | Feedback>): { id: string; messageId?: string; responseId?: string; feedbackId?: string } {
  const p = event.payload as Partial<ChatMessage & Feedback>;
  return { id: event.id, ...(p.messageId ? { messageId: p.messageId } : {}), ...(p.responseId ? { responseId: p.responseId } : {}), ...(p.feedbackId ? { feedbackId: p.feedbackId } : {}) };
}
