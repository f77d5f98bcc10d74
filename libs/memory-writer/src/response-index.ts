import { ChatMessage } from '@phoenix/contracts';
import { chatSpeaker, RatedAnswer } from '@phoenix/memory';

/**
 * Recent chat, so a memory can say what it answers: assistant answers by responseId, each with the
 * message it replies to (or the conversation's last user message before it), for feedback; and
 * every message by messageId, for a message that names the one it replies to (`replyTo`). Bounded:
 * the oldest entries go first. In memory only — after a restart, feedback on an answer from before
 * it reads without the quotes, and a reply to a message from before it without its context.
 */
export class ResponseIndex {
  private readonly answers = new Map<string, RatedAnswer>();
  private readonly messages = new Map<string, string>();
  private readonly lastUser = new Map<string, string>();
  /** Every message, as "<speaker>: <words>". */
  private readonly said = new Map<string, string>();

  constructor(private readonly capacity = 10_000) {}

  note(m: ChatMessage): void {
    this.put(this.said, m.messageId, `${chatSpeaker(m)}: ${m.text}`);
    if (m.role === 'user') {
      this.put(this.messages, m.messageId, m.text);
      this.put(this.lastUser, m.conversationId, m.text);
      return;
    }
    if (m.role !== 'assistant' || !m.responseId) return;
    const prompt = (m.replyTo ? this.messages.get(m.replyTo) : undefined) ?? this.lastUser.get(m.conversationId);
    this.put(this.answers, m.responseId, prompt === undefined ? { text: m.text } : { text: m.text, prompt });
  }

  get(responseId: string): RatedAnswer | undefined {
    return this.answers.get(responseId);
  }

  /** The message `m` replies to (`replyTo`), as "<speaker>: <words>", if it was noted. */
  repliedTo(m: ChatMessage): string | undefined {
    return m.replyTo ? this.said.get(m.replyTo) : undefined;
  }

  private put<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.capacity) map.delete(map.keys().next().value as string);
  }
}

