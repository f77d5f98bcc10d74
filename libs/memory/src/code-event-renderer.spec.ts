import * as fs from 'node:fs';
import * as path from 'node:path';
import { normalizeGithub, normalizeGitlab } from '@phoenix/code';
import { CodeEvent, createEnvelope } from '@phoenix/contracts';
import { renderEvent } from './event-renderer';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/code');
const at = Date.parse('2026-11-20T10:00:00Z');

/** The memory sentence of a provider fixture, through the normalizer and renderEvent as the memory-writer calls it. */
function sentence(provider: 'github' | 'gitlab', providerEvent: string, file: string): string {
  const body: unknown = JSON.parse(fs.readFileSync(path.join(FIXTURES, provider, file), 'utf8'));
  const d = provider === 'github' ? normalizeGithub(providerEvent, 'd', body) : normalizeGitlab(providerEvent, 'd', body);
  if (d.kind !== 'event') throw new Error(d.detail);
  return renderEvent(d.topic, createEnvelope<CodeEvent>({ type: d.type, source: provider, key: d.key, occurredAt: at, payload: d.event }));
}

describe('code events as memories', () => {
  it('reads pushes as who pushed how many commits where, with their messages', () => {
    expect(sentence('github', 'push', 'push.json')).toBe('baxterthehacker pushed 1 commit to baxterthehacker/public-repo changes: Update README.md (GitHub, 2026-11-20)');
    // GitLab lists at most 20 commits; the count says how many there were.
    expect(sentence('gitlab', 'Push Hook', 'push.json')).toBe('jsmith pushed 4 commits to mike/diaspora master: Update Catalan translation to e38cb41.; fixed readme; … (GitLab, 2026-11-20)');
    expect(sentence('github', 'push', 'push-tag-deleted.json')).toBe('Codertocat deleted tag simple-tag in Codertocat/Hello-World (GitHub, 2026-11-20)');
    expect(sentence('gitlab', 'Tag Push Hook', 'tag_push.json')).toBe('jsmith pushed tag v1.0.0 to jsmith/example at 82b3d5a (GitLab, 2026-11-20)');
  });

  it('reads pull requests, reviews, pipelines and releases', () => {
    expect(sentence('github', 'pull_request', 'pull_request-merged.json')).toBe('baxterthehacker merged pull request #1 "Update the README with new information" in baxterthehacker/public-repo (changes → master) (GitHub, 2026-11-20)');
    expect(sentence('gitlab', 'Merge Request Hook', 'merge_request-open.json')).toBe('root opened merge request !1 "MS-Viewport" in mike/diaspora (ms-viewport → master) (GitLab, 2026-11-20)');
    expect(sentence('github', 'pull_request_review', 'pull_request_review-submitted.json')).toBe('baxterthehacker approved pull request #8 "Add a README description" in baxterthehacker/public-repo: "Looks great!" (GitHub, 2026-11-20)');
    expect(sentence('gitlab', 'Note Hook', 'note-merge_request.json')).toBe('root commented on merge request !1 "Tutorial page" in mike/diaspora: "This MR needs work." (GitLab, 2026-11-20)');
    expect(sentence('github', 'workflow_run', 'workflow_run-completed.json')).toBe('Pipeline "Build" failed on octo-org/octo-repo main at acb5820 after 1m 54s (GitHub, 2026-11-20)');
    expect(sentence('gitlab', 'Release Hook', 'release-create.json')).toBe('Release v1.1 of myrepo/release-webhook-example was published: v1.1 has been released (GitLab, 2026-11-20)');
    expect(sentence('github', 'release', 'release-published.json')).toBe('Codertocat published release 0.0.1 of Codertocat/Hello-World (GitHub, 2026-11-20)');
  });
});
