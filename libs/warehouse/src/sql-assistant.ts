import { LlmClient, LlmError, LlmErrorCode } from '@phoenix/llm';
import { QueryResult, WarehouseDriver } from './warehouse.types';
import { RowScope } from './row-scope';
import { guardSql, SqlGuardOptions } from './sql-guard';

/** Something that completes a prompt: Snowflake Cortex, or an OpenAI-compatible endpoint. */
export interface Completer {
  readonly name: string;
  complete(prompt: string): Promise<string>;
  /** The SQL a prompt asks for, as bare text (no fence, no prose) where the model allows it. */
  proposeSql(prompt: string): Promise<string>;
}

/** What a model wrote around its SQL: a code fence, or a sentence before it. */
export function stripSqlFence(raw: string): string {
  return raw
    .replace(/^[\s\S]*?```(?:sql)?\s*/i, (m) => (m.includes('```') ? '' : m))
    .replace(/```[\s\S]*$/, '')
    .trim();
}

/** `SNOWFLAKE.CORTEX.COMPLETE(model, prompt)` through the warehouse connection. */
export class CortexCompleter implements Completer {
  readonly name: string;
  constructor(
    private readonly run: (sql: string, binds: string[]) => Promise<string>,
    private readonly model = 'mistral-large2',
  ) {
    this.name = `cortex:${model}`;
  }
  complete(prompt: string): Promise<string> {
    return this.run('SELECT SNOWFLAKE.CORTEX.COMPLETE(?, ?) AS ANSWER', [this.model, prompt]);
  }
  async proposeSql(prompt: string): Promise<string> {
    return stripSqlFence(await this.complete(prompt));
  }
}

/** The schema NL→SQL answers are decoded under: one field, a statement that starts as a query. The guard still decides. */
const SQL_ANSWER_SCHEMA = { type: 'object', properties: { sql: { type: 'string', pattern: '^(SELECT|WITH) [^;]{1,1500}$' } }, required: ['sql'], additionalProperties: false };

/** Any OpenAI-compatible `/chat/completions` endpoint, through Phoenix's {@link LlmClient}. */
export class OpenAiCompleter implements Completer {
  readonly name: string;
  constructor(private readonly llm: LlmClient) {
    this.name = llm.name;
  }
  async complete(prompt: string): Promise<string> {
    return (await this.llm.chat({ messages: [{ role: 'user', content: prompt }], maxTokens: 400 })).content;
  }
  async proposeSql(prompt: string): Promise<string> {
    const answer = (await this.llm.json({ messages: [{ role: 'user', content: `${prompt}\nAnswer as JSON with one field, "sql", holding the statement.` }], maxTokens: 250, schema: { name: 'sql', schema: SQL_ANSWER_SCHEMA } })) as { sql?: unknown };
    if (typeof answer?.sql !== 'string') throw new LlmError(LlmErrorCode.BadAnswer, 'the LLM answered without SQL', false);
    return stripSqlFence(answer.sql);
  }
}

const SCHEMA_DOC = `Table RAW_EVENTS — every event that crossed Phoenix:
  event_id VARCHAR (UUIDv7), topic VARCHAR (e.g. cdc.hubspot.deals, events.app), "partition" INTEGER, "offset" BIGINT,
  type VARCHAR (e.g. deal.updated), source VARCHAR, key VARCHAR (entity key), occurred_at TIMESTAMP, ingested_at TIMESTAMP,
  correlation_id VARCHAR, causation_id VARCHAR, payload (JSON/VARIANT: the event payload; CDC payloads have op, table, before, after, changedFields),
  deleted_at TIMESTAMP (set when the entity was deleted at the source).`;

/**
 * Natural language to SQL over the warehouse. The model only proposes SQL; nothing runs until
 * the parser-based read-only guard has accepted it (one SELECT on allowed tables, row limit).
 */
export class SqlAssistant {
  constructor(
    private readonly warehouse: WarehouseDriver,
    private readonly completer: Completer | undefined,
    private readonly guard: SqlGuardOptions,
  ) {}

  /** Runs SQL a caller wrote, through the same guard. */
  query(sql: string, rows?: RowScope): Promise<QueryResult & { sql: string }> {
    const guarded = guardSql(sql, this.guard, rows);
    return this.warehouse.query(guarded.sql).then((r) => ({ ...r, sql: guarded.sql }));
  }

  async nlToSql(question: string, rows?: RowScope): Promise<{ sql: string; guardedSql: string; model: string }> {
    if (!this.completer) throw new Error('NL→SQL needs Snowflake Cortex (WAREHOUSE=snowflake) or an LLM endpoint (LLM_BASE_URL)');
    const dialect = this.warehouse.kind === 'snowflake' ? 'Snowflake (payload:field::type for VARIANT paths)' : 'DuckDB (payload->>\'$.field\' for JSON paths)';
    const prompt = `${SCHEMA_DOC}\n\nWrite one ${dialect} SELECT statement that answers the question. Answer with the SQL only, no explanation.\nQuestion: ${question}`;
    const sql = await this.completer.proposeSql(prompt);
    const guarded = guardSql(sql, this.guard, rows);
    return { sql, guardedSql: guarded.sql, model: this.completer.name };
  }

  async ask(question: string, rows?: RowScope): Promise<{ sql: string; rows: QueryResult['rows']; answer: string | null; model: string }> {
    const { sql, guardedSql, model } = await this.nlToSql(question, rows);
    const result = await this.warehouse.query(guardedSql);
    const answer = await this.completer!.complete(
      `Question: ${question}\nSQL: ${sql}\nRows (JSON, at most 50): ${JSON.stringify(result.rows.slice(0, 50))}\nAnswer the question in one or two sentences from these rows only.`,
    );
    return { sql, rows: result.rows, answer: answer.trim() || null, model };
  }
}
