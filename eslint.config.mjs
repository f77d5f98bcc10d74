import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PROCESS_ENV = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: 'Read configuration through @phoenix/config, not process.env.',
};
// Topic names have one home, libs/contracts (TOPICS, CODE_TOPICS, TOPIC_GLOBS, mcpCommandsTopic …).
// Type arguments (EventOf<'mcp.results'>) stay literal: the compiler checks them against the catalogue.
const TOPIC_NAMES = 'events\\.(app|agent|\\*)|cdc\\.\\*|mcp\\.(results|capabilities|ledger|commands\\.\\*)|supervisor\\.(tasks|progress|outcomes|state)|gateway\\.claims|memory\\.(requests|changes)|router\\.status|audit\\.access|n8n\\.(responses|outbound\\.\\*)|interactions\\.(chat|actions|feedback)|ingest\\.dlq|code\\.(pushes|pull-requests|reviews|pipelines|releases|\\*)';
const TOPIC_LITERAL = {
  selector: `Literal[value=/^(${TOPIC_NAMES})$/]:not(TSLiteralType > Literal)`,
  message: 'Topic names live in libs/contracts (TOPICS, CODE_TOPICS, TOPIC_GLOBS); import them.',
};
// Errors are told apart by their class and code enum, never by a string literal of a code.
const CODE_LITERAL = {
  selector: "BinaryExpression[operator=/^[!=]==?$/]:has(> MemberExpression[property.name='code']):has(> Literal)",
  message: "Compare an error's code with its enum (BusErrorCode.SendTimeout …), not a string literal.",
};
const TOPIC_TEMPLATE = {
  selector: 'TemplateElement[value.raw=/^(mcp\\.commands|n8n\\.outbound|interactions|code)\\.$/]',
  message: 'Build topic names with the builders in libs/contracts (mcpCommandsTopic, n8nOutboundTopic …).',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly', setTimeout: 'readonly', Buffer: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', PROCESS_ENV, TOPIC_LITERAL, TOPIC_TEMPLATE, CODE_LITERAL],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/apps/**', '../../apps/*'], message: 'Apps never import other apps; move shared code to a lib.' }] },
      ],
    },
  },
  {
    // Config loading, the boot layer, the stack supervisor and the benchmarks read the environment.
    files: ['libs/config/**/*.ts', 'libs/stack/**/*.ts', 'libs/runtime/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', TOPIC_LITERAL, TOPIC_TEMPLATE, CODE_LITERAL] },
  },
  {
    // The home of topic names.
    files: ['libs/contracts/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', PROCESS_ENV, CODE_LITERAL] },
  },
  {
    // Specs and test setup: real topic names are test data, and they set the environment.
    files: ['test/**/*.ts', '**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
