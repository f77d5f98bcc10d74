import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodeDelivery } from './code-delivery';
import { CodeWebhookError } from './code-webhook.exception';
import { normalizeGithub } from './github-normalizer';
import { normalizeGitlab } from './gitlab-normalizer';
import { epochMs } from './payload-reader';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/code');
const fixture = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'));
const event = (d: CodeDelivery) => {
  if (d.kind !== 'event') throw new Error(`expected an event, got ${d.kind}: ${d.detail}`);
  return d;
};

describe('GitHub deliveries → code events', () => {
  it('a push: commits, changed files, the pusher, keyed by repository, raw payload kept', () => {
    const body = fixture('github/push.json');
    const d = event(normalizeGithub('push', 'd-1', body));
    expect(d).toMatchObject({ topic: 'code.pushes', type: 'branch.pushed', key: 'github:baxterthehacker/public-repo', occurredAt: Date.parse('2015-05-05T23:40:15Z') });
    expect(d.event).toMatchObject({
      provider: 'github',
      kind: 'push',
      action: 'pushed',
      deliveryId: 'd-1',
      providerEvent: 'push',
      repository: { fullName: 'baxterthehacker/public-repo', name: 'public-repo', url: 'https://github.com/baxterthehacker/public-repo', defaultBranch: 'master' },
      actor: { login: 'baxterthehacker', name: 'baxterthehacker' },
      ref: 'refs/heads/changes',
      branch: 'changes',
      tag: null,
      sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      url: 'https://github.com/baxterthehacker/public-repo/compare/9049f1265b7d...0d1a26e67d8f',
      pullRequest: null,
    });
    expect(d.event.push).toMatchObject({ before: '9049f1265b7d61be4a8904a9a27120d2064dab3b', created: false, deleted: false, totalCommits: 1, files: ['README.md'] });
    expect(d.event.push!.commits[0]).toMatchObject({ message: 'Update README.md', author: { login: 'baxterthehacker' }, modified: ['README.md'], timestamp: Date.parse('2015-05-05T23:40:15Z') });
    expect(d.event.raw).toEqual(body);
  });

  it('a deleted tag is a tag event on code.pushes, about the commit it pointed at', () => {
    const d = event(normalizeGithub('push', 'd-2', fixture('github/push-tag-deleted.json')));
    expect(d.type).toBe('tag.deleted');
    expect(d.event).toMatchObject({ tag: 'simple-tag', branch: null, sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', push: { deleted: true, commits: [] } });
    expect(d.occurredAt).toBe(1557933657000);
  });

  it('pull requests: opened, merged (closed with merged), labels not published', () => {
    const opened = event(normalizeGithub('pull_request', 'd-3', fixture('github/pull_request-opened.json')));
    expect(opened).toMatchObject({ topic: 'code.pull-requests', type: 'pull_request.opened' });
    expect(opened.event.pullRequest).toEqual({
      number: 1,
      title: 'Update the README with new information',
      body: 'This is a pretty simple change that we need to pull into master.',
      state: 'open',
      draft: false,
      merged: false,
      sourceBranch: 'changes',
      targetBranch: 'master',
      headSha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      url: 'https://github.com/baxterthehacker/public-repo/pull/1',
      author: { login: 'baxterthehacker', name: null, email: null },
    });
    const merged = event(normalizeGithub('pull_request', 'd-4', fixture('github/pull_request-merged.json')));
    expect(merged.type).toBe('pull_request.merged');
    expect(merged.event.pullRequest).toMatchObject({ state: 'merged', merged: true });
    expect(normalizeGithub('pull_request', 'd-5', fixture('github/pull_request-labeled.json'))).toMatchObject({ kind: 'ignored' });
  });

  it('a submitted review, a completed workflow run (a requested one is not published), a release', () => {
    const review = event(normalizeGithub('pull_request_review', 'd-6', fixture('github/pull_request_review-submitted.json')));
    expect(review).toMatchObject({ topic: 'code.reviews', type: 'review.approved' });
    expect(review.event).toMatchObject({ review: { state: 'approved', body: 'Looks great!' }, pullRequest: { number: 8 }, actor: { login: 'baxterthehacker' }, sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c' });

    const run = event(normalizeGithub('workflow_run', 'd-7', fixture('github/workflow_run-completed.json')));
    expect(run).toMatchObject({ topic: 'code.pipelines', type: 'pipeline.failed', key: 'github:octo-org/octo-repo' });
    expect(run.event.pipeline).toEqual({ id: '30433642', name: 'Build', status: 'failed', trigger: 'push', startedAt: Date.parse('2020-01-22T19:33:08Z'), finishedAt: Date.parse('2020-01-22T19:35:02Z'), durationMs: 114000 });
    expect(normalizeGithub('workflow_run', 'd-8', fixture('github/workflow_run-requested.json'))).toMatchObject({ kind: 'ignored' });

    const release = event(normalizeGithub('release', 'd-9', fixture('github/release-published.json')));
    expect(release).toMatchObject({ topic: 'code.releases', type: 'release.published' });
    expect(release.event).toMatchObject({ tag: '0.0.1', ref: 'refs/tags/0.0.1', release: { tag: '0.0.1', name: null, prerelease: false } });
  });

  it('ping answers, unknown events are not published, a push without its fields is unreadable', () => {
    expect(normalizeGithub('ping', 'd-10', fixture('github/ping.json'))).toEqual({ kind: 'ping', detail: 'hook 109948940 is set up: Design for failure.' });
    expect(normalizeGithub('star', 'd-11', { action: 'created', repository: { full_name: 'a/b', name: 'b' } })).toMatchObject({ kind: 'ignored' });
    expect(() => normalizeGithub('push', 'd-12', { repository: { full_name: 'a/b', name: 'b' } })).toThrow(CodeWebhookError);
    expect(() => normalizeGithub('push', 'd-13', [1, 2])).toThrow(/not a JSON object/);
  });
});

describe('GitLab deliveries → code events', () => {
  it('a push: the same canonical shape as GitHub, GitLab total count kept, head commit url', () => {
    const d = event(normalizeGitlab('Push Hook', 'u-1', fixture('gitlab/push.json')));
    expect(d).toMatchObject({ topic: 'code.pushes', type: 'branch.pushed', key: 'gitlab:mike/diaspora', occurredAt: Date.parse('2012-01-03T21:36:29Z') });
    expect(d.event).toMatchObject({
      provider: 'gitlab',
      action: 'pushed',
      providerEvent: 'Push Hook',
      repository: { fullName: 'mike/diaspora', name: 'Diaspora', url: 'http://example.com/mike/diaspora', defaultBranch: 'master' },
      actor: { login: 'jsmith', name: 'John Smith', email: 'john@example.com' },
      branch: 'master',
      sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      url: 'http://example.com/mike/diaspora/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    });
    expect(d.event.push).toMatchObject({ created: false, deleted: false, totalCommits: 4, files: ['CHANGELOG', 'app/controller/application.rb'] });
    expect(d.event.push!.commits.map((c) => c.id)).toEqual(['b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327', 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7']);
  });

  it('the same logical push reads the same from either provider', () => {
    const gh = event(normalizeGithub('push', 'x', fixture('github/push.json'))).event;
    const body = fixture('gitlab/push.json') as Record<string, unknown>;
    const ghCommit = gh.push!.commits[0];
    const asGitlab = { ...body, ref: gh.ref, before: gh.push!.before, after: gh.push!.after, checkout_sha: gh.push!.after, total_commits_count: 1, commits: [{ id: ghCommit.id, message: ghCommit.message, timestamp: '2015-05-05T19:40:15-04:00', url: ghCommit.url, author: { name: ghCommit.author!.name, email: ghCommit.author!.email }, added: [], modified: ['README.md'], removed: [] }] };
    const gl = event(normalizeGitlab('Push Hook', 'x', asGitlab)).event;
    const canon = (e: typeof gh) => ({ ref: e.ref, branch: e.branch, sha: e.sha, action: e.action, push: { ...e.push!, commits: e.push!.commits.map((c) => ({ ...c, author: { ...c.author!, login: null } })) } });
    expect(canon(gl)).toEqual(canon(gh));
  });

  it('a tag push, merge requests (opened; an approval is a review; a test delivery is a ping), an MR comment', () => {
    const tag = event(normalizeGitlab('Tag Push Hook', 'u-2', fixture('gitlab/tag_push.json')));
    expect(tag).toMatchObject({ type: 'tag.created', key: 'gitlab:jsmith/example' });
    expect(tag.event).toMatchObject({ tag: 'v1.0.0', push: { created: true } });

    const open = event(normalizeGitlab('Merge Request Hook', 'u-3', fixture('gitlab/merge_request-open.json')));
    expect(open).toMatchObject({ topic: 'code.pull-requests', type: 'pull_request.opened' });
    expect(open.event.pullRequest).toMatchObject({ number: 1, title: 'MS-Viewport', state: 'open', sourceBranch: 'ms-viewport', targetBranch: 'master', headSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', author: { login: 'root' } });

    const approval = event(normalizeGitlab('Merge Request Hook', 'u-4', fixture('gitlab/merge_request-approval.json')));
    expect(approval).toMatchObject({ topic: 'code.reviews', type: 'review.approved' });
    expect(approval.event).toMatchObject({ actor: { login: 'root' }, review: { state: 'approved' } });

    expect(normalizeGitlab('Merge Request Hook', 'u-5', fixture('gitlab/merge_request-test.json'))).toMatchObject({ kind: 'ping' });

    const note = event(normalizeGitlab('Note Hook', 'u-6', fixture('gitlab/note-merge_request.json')));
    expect(note).toMatchObject({ type: 'review.commented', occurredAt: Date.parse('2015-05-17T18:21:36Z') });
    expect(note.event.review).toEqual({ state: 'commented', body: 'This MR needs work.', url: 'http://example.com/gitlab-org/gitlab-test/merge_requests/1#note_1244' });
  });

  it('a finished pipeline (a running one is not published), a release', () => {
    const run = event(normalizeGitlab('Pipeline Hook', 'u-7', fixture('gitlab/pipeline-success.json')));
    expect(run).toMatchObject({ topic: 'code.pipelines', type: 'pipeline.succeeded', key: 'gitlab:gitlab-org/gitlab-test' });
    expect(run.event.pipeline).toEqual({ id: '31', name: 'Pipeline for branch: master', status: 'succeeded', trigger: 'merge_request_event', startedAt: Date.parse('2016-08-12T15:23:28Z'), finishedAt: Date.parse('2016-08-12T15:26:29Z'), durationMs: 63000 });
    expect(run.event).toMatchObject({ branch: 'master', ref: 'refs/heads/master', url: 'http://example.com/gitlab-org/gitlab-test/-/pipelines/31' });
    expect(normalizeGitlab('Pipeline Hook', 'u-8', fixture('gitlab/pipeline-running.json'))).toMatchObject({ kind: 'ignored' });

    const release = event(normalizeGitlab('Release Hook', 'u-9', fixture('gitlab/release-create.json')));
    expect(release).toMatchObject({ topic: 'code.releases', type: 'release.published' });
    expect(release.event).toMatchObject({ tag: 'v1.1', sha: 'ee0a3fb31ac16e11b9dbb596ad16d4af654d08f8', release: { name: 'v1.1', body: 'v1.1 has been released' } });
  });
});

describe('provider timestamps', () => {
  it('reads ISO-8601, GitLab’s "… UTC" and epoch seconds', () => {
    expect(epochMs('2016-08-12 15:23:28 UTC')).toBe(Date.parse('2016-08-12T15:23:28Z'));
    expect(epochMs('2011-12-12T14:27:31+02:00')).toBe(Date.parse('2011-12-12T12:27:31Z'));
    expect(epochMs(1557933657)).toBe(1557933657000);
    expect(epochMs('yesterday')).toBeNull();
  });
});
