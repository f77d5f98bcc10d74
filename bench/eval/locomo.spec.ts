import { aggregate, normaliseEvidence, parseSessionDate, scoreQuestion, Turn, turnMessage } from './locomo';

describe('LoCoMo scoring', () => {
  it('reads session dates as UTC, 12 am and pm included', () => {
    expect(new Date(parseSessionDate('1:56 pm on 8 May, 2023')).toISOString()).toBe('2023-05-08T13:56:00.000Z');
    expect(new Date(parseSessionDate('12:04 am on 1 January, 2024')).toISOString()).toBe('2024-01-01T00:04:00.000Z');
    expect(new Date(parseSessionDate('12:30 pm on 30 June, 2023')).toISOString()).toBe('2023-06-30T12:30:00.000Z');
    expect(() => parseSessionDate('yesterday')).toThrow(/not a LoCoMo session date/);
  });

  it('splits and normalises the malformed evidence ids the dataset has', () => {
    expect(normaliseEvidence(['D8:6; D9:17', 'D:11:26', 'D30:05', 'D1:3', 'D1:3', 'nonsense'])).toEqual(['D8:6', 'D9:17', 'D11:26', 'D30:5', 'D1:3']);
  });

  it('counts recall as the share of evidence found in the top k, at turn and session level', () => {
    const s = scoreQuestion(['D2:1', null, 'D1:3', 'D1:9', 'D5:5', 'D3:1'], ['D1:3', 'D3:1'], 4, 12);
    expect(s.turn).toEqual({ 1: 0, 5: 0.5, 10: 1 });
    expect(s.session).toEqual({ 1: 0, 5: 0.5, 10: 1 });
    expect(s.rr).toBeCloseTo(1 / 3);
    expect(scoreQuestion([], ['D1:1'], 1, 1).rr).toBe(0);
    const a = aggregate([s, scoreQuestion(['D1:3'], ['D1:3'], 4, 1)]);
    expect(a.turn[1]).toBe(0.5);
    expect(a.mrr).toBeCloseTo((1 / 3 + 1) / 2);
  });

  it('records a turn as a reply to the turn before it in its session only', () => {
    const turn = (dia: string, session: number): Turn => ({ sample: 'conv-26', dia, session, speaker: 'Caroline', text: 'hi', at: 1 });
    expect(turnMessage(turn('D1:2', 1), turn('D1:1', 1))).toEqual({ conversationId: 'conv-26', messageId: 'conv-26-D1:2', role: 'user', userId: 'Caroline', text: 'hi', occurredAt: 1, replyTo: 'conv-26-D1:1' });
    expect(turnMessage(turn('D2:1', 2), turn('D1:9', 1))).not.toHaveProperty('replyTo');
    expect(turnMessage(turn('D1:1', 1), undefined)).not.toHaveProperty('replyTo');
  });
});
