import { correctionWins, feedbackTriples, paraphrase } from './feedback';
import { Conversation } from './locomo';

const conversation = (sample: string, qs: [string, number, string | null][]): Conversation => ({
  sample,
  turns: [],
  questions: qs.map(([question, category, answer]) => ({ sample, question, category, answer, evidence: ['D1:1'] })),
});

describe('feedback triples', () => {
  it('paraphrases by rule, never returning the question unchanged', () => {
    expect(paraphrase('When did Caroline go to the LGBTQ support group?')).toBe('Remind me, at what point in time did Caroline go to the LGBTQ support group?');
    expect(paraphrase('What did Caroline research?')).toBe('Remind me, which thing did Caroline research?');
    expect(paraphrase('How many children does Melanie have?')).toBe('Remind me, what number of children does Melanie have?');
    expect(paraphrase('Would Caroline pursue writing as a career option?')).toBe('Tell me again: would Caroline pursue writing as a career option?');
    for (const q of ['Who painted it?', 'Where is it?', 'Why did she leave?', 'How long did it take?', 'Which city?']) expect(paraphrase(q)).not.toMatch(new RegExp(`^Remind me, ${q.split(' ')[0]}`, 'i'));
  });

  it('draws distinct questions with a wrong answer of the same kind, leaving adversarial and unanswered ones out', () => {
    const cs = [
      conversation('a', [
        ['When did A go?', 2, '7 May 2023'],
        ['What is A?', 1, 'A painter'],
        ['Trick?', 5, null],
        ['When did B go?', 2, '2022'],
      ]),
      conversation('b', [
        ['What is B?', 1, 'A teacher'],
        ['When did C go?', 2, '2022'],
      ]),
    ];
    const triples = feedbackTriples(cs, 10);
    expect(triples.map((t) => t.question)).toEqual(['When did A go?', 'What is A?', 'When did B go?', 'What is B?', 'When did C go?']);
    for (const t of triples) expect(t.wrong).not.toBe(t.correction);
    expect(triples[0]).toMatchObject({ n: 0, correction: '7 May 2023', wrong: '2022' });
    expect(triples[1]).toMatchObject({ correction: 'A painter', wrong: 'A teacher' });
    expect(feedbackTriples(cs, 10)).toEqual(triples); // deterministic
  });

  it('a correction wins only when found above the answer, or found with the answer absent', () => {
    expect(correctionWins({ correction: 1, answer: 2 })).toBe(true);
    expect(correctionWins({ correction: 3, answer: null })).toBe(true);
    expect(correctionWins({ correction: 4, answer: 2 })).toBe(false);
    expect(correctionWins({ correction: null, answer: null })).toBe(false);
  });
});
