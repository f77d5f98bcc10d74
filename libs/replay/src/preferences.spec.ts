import * as fs from 'node:fs';
import * as path from 'node:path';
import { findProjectRoot } from '@phoenix/config';
import { ChatMessage, Feedback } from '@phoenix/contracts';
import { buildPreferences } from './preferences';

const dir = path.join(findProjectRoot(), 'test/fixtures/datasets');
const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));

describe('preference dataset', () => {
  it('joins feedback with the responses it rates into the expected pairs and SFT records', () => {
    const { messages, feedback } = read('conversations.json') as { messages: ChatMessage[]; feedback: Feedback[] };
    expect(buildPreferences(messages, feedback)).toEqual(read('preferences.expected.json'));
  });
});
