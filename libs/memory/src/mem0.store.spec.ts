import { keywordText } from './mem0.store';

describe('keywordText', () => {
  it('keeps letters and digits, lower case, so punctuation does not split a word from itself', () => {
    expect(keywordText('Caroline said on 2023-05-08: "I went to a LGBTQ support group?"')).toBe('caroline said on 2023 05 08 i went to a lgbtq support group');
    expect(keywordText('Café déjà-vu!')).toBe('café déjà vu');
    expect(keywordText('…')).toBe('');
  });
});
