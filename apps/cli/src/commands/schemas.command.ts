import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { RestError } from '@confluentinc/schemaregistry';
import { findProjectRoot, loadConfig } from '@phoenix/config';
import {
  AvroSchema,
  backwardIncompatibility,
  composeFamilySchema,
  EventCodec,
  FAMILIES,
  FamilyName,
  GENERATED_TYPES_FILE,
  loadTopicCatalogue,
  parseSchemaText,
  readSchemaFile,
  renderGeneratedTypes,
} from '@phoenix/contracts';
import { cliRuntime } from '../cli-context';
import { CliError, info, printTable } from '../output';

type Reader = (file: string) => AvroSchema;

/** Each family's composed schema as `read` sees the files; families whose files are missing are left out. */
function composeAll(read: Reader): Map<FamilyName, AvroSchema> {
  const out = new Map<FamilyName, AvroSchema>();
  let envelope: AvroSchema;
  try {
    envelope = read('envelope.avsc');
  } catch {
    return out;
  }
  for (const [family, def] of Object.entries(FAMILIES) as [FamilyName, (typeof FAMILIES)[FamilyName]][]) {
    try {
      const payload = def.payload ? read(`payloads/${def.payload}`) : null;
      out.set(family, composeFamilySchema(envelope, payload, def.eventName));
    } catch {
      // The family did not exist at that point in history.
    }
  }
  return out;
}

function git(root: string, args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return r.status === 0 ? r.stdout : undefined;
}

interface CheckRow {
  family: string;
  against: string;
  result: 'compatible' | 'INCOMPATIBLE' | 'new';
  reason?: string;
}

export function registerSchemasCommand(program: Command): void {
  const schemas = program.command('schemas').description('Event schemas in schemas/ (the source of truth)');

  schemas
    .command('check')
    .description('Fail when a schema is not BACKWARD compatible with any earlier version (git history, --against dir) or the registered one')
    .option('--schemas-dir <dir>', 'schemas to check (default: ./schemas)')
    .option('--against <dir>', 'also check against the schemas in this directory')
    .option('--no-git', 'skip the versions in git history')
    .option('--no-registry', 'skip the registry')
    .action(async (opts: { schemasDir?: string; against?: string; git: boolean; registry: boolean }) => {
      const root = findProjectRoot();
      const dir = path.resolve(opts.schemasDir ?? path.join(root, 'schemas'));
      const current = composeAll((f) => readSchemaFile(f, dir));
      if (current.size !== Object.keys(FAMILIES).length) throw new CliError(`some family schemas are missing under ${dir}`);
      const rows: CheckRow[] = [];
      const compare = (label: string, previous: Map<FamilyName, AvroSchema>) => {
        for (const [family, next] of current) {
          const prev = previous.get(family);
          if (!prev) continue;
          const reason = backwardIncompatibility(next, prev);
          rows.push({ family, against: label, result: reason ? 'INCOMPATIBLE' : 'compatible', reason: reason ?? undefined });
        }
      };
      if (opts.against) compare(opts.against, composeAll((f) => readSchemaFile(f, path.resolve(opts.against!))));
      if (opts.git) {
        const commits = git(root, ['log', '--format=%h', '--', 'schemas/'])?.split('\n').filter(Boolean) ?? [];
        for (const sha of commits) {
          compare(`git ${sha}`, composeAll((f) => {
            const text = git(root, ['show', `${sha}:schemas/${f}`]);
            if (text === undefined) throw new Error('missing');
            return parseSchemaText(text);
          }));
        }
        if (commits.length === 0) info('no schema history in git (not a clone, or schemas not committed yet)');
      }
      if (opts.registry) {
        const config = loadConfig();
        const client = EventCodec.registryClient(config);
        const catalogue = loadTopicCatalogue(config.paths.config, config.kafka.defaultPartitions);
        try {
          for (const topic of catalogue.topics()) {
            const schema = current.get(topic.family)!;
            const subject = `${topic.name}-value`;
            let registered = true;
            try {
              await client.getLatestSchemaMetadata(subject);
            } catch (err) {
              if (err instanceof RestError && err.status === 404) registered = false;
              else throw err;
            }
            if (!registered) {
              rows.push({ family: topic.family, against: `registry ${subject}`, result: 'new' });
              continue;
            }
            const ok = await client.testSubjectCompatibility(subject, { schemaType: 'AVRO', schema: JSON.stringify(schema) });
            rows.push({ family: topic.family, against: `registry ${subject}`, result: ok ? 'compatible' : 'INCOMPATIBLE', reason: ok ? undefined : 'the registry refuses it under its compatibility rule' });
          }
        } catch (err) {
          if (err instanceof RestError) throw err;
          info(`registry not reachable at ${config.registry.url}; checked git history only (${(err as Error).message})`);
        }
      }
      printTable(rows.map((r) => ({ family: r.family, against: r.against, result: r.result, reason: r.reason ?? '' })));
      const bad = rows.filter((r) => r.result === 'INCOMPATIBLE');
      if (bad.length) throw new CliError(`${bad.length} incompatible schema change(s): add defaults to new fields, keep field types, never remove a field without a default`);
      info(`schemas are BACKWARD compatible (${rows.length} comparison(s))`);
    });

  schemas
    .command('register')
    .description('Register every catalogue topic\'s schema (run before deploying with SCHEMA_AUTO_REGISTER off)')
    .action(async () => {
      const { bus } = cliRuntime();
      const rows: Record<string, unknown>[] = [];
      for (const topic of bus.catalogue.topics()) {
        const subject = `${topic.name}-value`;
        const id = await bus.codec.client.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(bus.codec.schemaOf(topic.name).schema) }, false);
        rows.push({ subject, family: topic.family, id });
      }
      printTable(rows);
      await bus.close();
    });

  schemas
    .command('types')
    .description(`Regenerate ${GENERATED_TYPES_FILE} from schemas/`)
    .option('--check', 'exit 1 if the committed file is out of date instead of writing it')
    .action((opts: { check?: boolean }) => {
      const file = path.join(findProjectRoot(), GENERATED_TYPES_FILE);
      const expected = renderGeneratedTypes();
      const actual = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      if (opts.check) {
        if (actual !== expected) throw new CliError(`${GENERATED_TYPES_FILE} is out of date: run \`npm run schemas:types\``);
        info('generated types are up to date');
        return;
      }
      fs.writeFileSync(file, expected);
      info(`wrote ${GENERATED_TYPES_FILE}`);
    });
}
