import { CodeActor, CodeCommit, CodePullRequest } from '@phoenix/contracts';
import { CodeDelivery, codeEvent, refName, touchedFiles } from './code-delivery';
import { epochMs, PayloadReader } from './payload-reader';

const PR_ACTIONS: Record<string, string> = { opened: 'opened', reopened: 'reopened', synchronize: 'updated', edited: 'edited', ready_for_review: 'ready_for_review', converted_to_draft: 'converted_to_draft' };
const RUN_ENDINGS: Record<string, string> = { success: 'succeeded', failure: 'failed', cancelled: 'cancelled', skipped: 'skipped', timed_out: 'timed_out', action_required: 'action_required', neutral: 'neutral', stale: 'stale', startup_failure: 'failed' };

const user = (r: PayloadReader | null): CodeActor | null => (r ? { login: r.str('login'), name: r.str('name'), email: r.str('email') } : null);

/** The repository a GitHub delivery is about (`owner/name`), before anything else is trusted. */
export function githubRepository(body: unknown): string | null {
  return PayloadReader.of(body).str('repository.full_name');
}

function repository(p: PayloadReader) {
  return { fullName: p.required('repository.full_name'), name: p.required('repository.name'), url: p.str('repository.html_url'), defaultBranch: p.str('repository.default_branch') };
}

function pullRequest(p: PayloadReader): CodePullRequest {
  const state = p.bool('pull_request.merged') ? 'merged' : p.required('pull_request.state');
  return {
    number: p.requiredNum('pull_request.number'),
    title: p.required('pull_request.title'),
    body: p.str('pull_request.body'),
    state,
    draft: p.bool('pull_request.draft'),
    merged: p.bool('pull_request.merged'),
    sourceBranch: p.required('pull_request.head.ref'),
    targetBranch: p.required('pull_request.base.ref'),
    headSha: p.str('pull_request.head.sha'),
    url: p.str('pull_request.html_url'),
    author: user(p.at('pull_request.user')),
  };
}

/**
 * A GitHub webhook delivery (`X-GitHub-Event`, its JSON body) as a Phoenix code event: push,
 * pull_request, pull_request_review, workflow_run (completed), release. `ping` is the hook being
 * checked; other events are not published.
 */
export function normalizeGithub(providerEvent: string, deliveryId: string, body: unknown): CodeDelivery {
  const p = PayloadReader.of(body);
  const base = { provider: 'github' as const, deliveryId, providerEvent };
  const sender = user(p.at('sender'));
  switch (providerEvent) {
    case 'ping':
      return { kind: 'ping', detail: `hook ${p.str('hook_id') ?? '?'} is set up: ${p.str('zen') ?? 'pong'}` };
    case 'push': {
      const ref = p.required('ref');
      const { branch, tag } = refName(ref);
      const created = p.bool('created');
      const deleted = p.bool('deleted');
      const commits: CodeCommit[] = p.list('commits').map((c) => ({
        id: c.required('id'),
        message: c.str('message') ?? '',
        url: c.str('url'),
        timestamp: epochMs(c.str('timestamp')),
        author: { login: c.str('author.username'), name: c.str('author.name'), email: c.str('author.email') },
        added: c.strings('added'),
        modified: c.strings('modified'),
        removed: c.strings('removed'),
      }));
      const before = p.required('before');
      const after = p.required('after');
      const action = deleted ? 'deleted' : created ? 'created' : 'pushed';
      const actor = { login: p.str('sender.login'), name: p.str('pusher.name'), email: p.str('pusher.email') };
      const occurredAt = epochMs(p.str('head_commit.timestamp')) ?? epochMs(p.num('repository.pushed_at'));
      return codeEvent(
        { ...base, kind: 'push', action, repository: repository(p), actor, ref, branch, tag, sha: deleted ? before : after, url: p.str('compare'), push: { before, after, created, deleted, forced: p.bool('forced'), commits, totalCommits: commits.length, files: touchedFiles(commits) } },
        p.body,
        occurredAt,
        tag !== null ? 'tag' : 'branch',
      );
    }
    case 'pull_request': {
      const raw = p.required('action');
      const action = raw === 'closed' ? (p.bool('pull_request.merged') ? 'merged' : 'closed') : PR_ACTIONS[raw];
      if (!action) return { kind: 'ignored', detail: `pull_request ${raw} is not published` };
      const pr = pullRequest(p);
      return codeEvent({ ...base, kind: 'pull_request', action, repository: repository(p), actor: sender, ref: `refs/heads/${pr.targetBranch}`, branch: pr.targetBranch, sha: pr.headSha, url: pr.url, pullRequest: pr }, p.body, epochMs(p.str('pull_request.updated_at')));
    }
    case 'pull_request_review': {
      const raw = p.required('action');
      if (raw !== 'submitted' && raw !== 'dismissed') return { kind: 'ignored', detail: `pull_request_review ${raw} is not published` };
      const state = raw === 'dismissed' ? 'dismissed' : p.required('review.state').toLowerCase();
      const pr = pullRequest(p);
      return codeEvent(
        { ...base, kind: 'review', action: state, repository: repository(p), actor: user(p.at('review.user')) ?? sender, branch: pr.targetBranch, sha: p.str('review.commit_id') ?? pr.headSha, url: p.str('review.html_url'), pullRequest: pr, review: { state, body: p.str('review.body'), url: p.str('review.html_url') } },
        p.body,
        epochMs(p.str('review.submitted_at')),
      );
    }
    case 'workflow_run': {
      if (p.str('action') !== 'completed') return { kind: 'ignored', detail: `workflow_run ${p.str('action') ?? ''} is not finished; only completed runs are published` };
      const conclusion = p.str('workflow_run.conclusion') ?? 'unknown';
      const status = RUN_ENDINGS[conclusion] ?? conclusion;
      const startedAt = epochMs(p.str('workflow_run.run_started_at') ?? p.str('workflow_run.created_at'));
      const finishedAt = epochMs(p.str('workflow_run.updated_at'));
      const branch = p.str('workflow_run.head_branch');
      return codeEvent(
        {
          ...base,
          kind: 'pipeline',
          action: status,
          repository: repository(p),
          actor: user(p.at('workflow_run.actor')) ?? sender,
          ref: branch ? `refs/heads/${branch}` : null,
          branch,
          sha: p.str('workflow_run.head_sha'),
          url: p.str('workflow_run.html_url'),
          pipeline: { id: p.required('workflow_run.id'), name: p.str('workflow_run.name') ?? p.str('workflow.name'), status, trigger: p.str('workflow_run.event'), startedAt, finishedAt, durationMs: startedAt !== null && finishedAt !== null ? finishedAt - startedAt : null },
        },
        p.body,
        finishedAt,
      );
    }
    case 'release': {
      const action = p.required('action');
      const tag = p.required('release.tag_name');
      return codeEvent(
        {
          ...base,
          kind: 'release',
          action,
          repository: repository(p),
          actor: user(p.at('release.author')) ?? sender,
          ref: `refs/tags/${tag}`,
          tag,
          url: p.str('release.html_url'),
          release: { tag, name: p.str('release.name'), body: p.str('release.body'), draft: p.bool('release.draft'), prerelease: p.bool('release.prerelease') },
        },
        p.body,
        epochMs(p.str('release.published_at') ?? p.str('release.created_at')),
      );
    }
    default:
      return { kind: 'ignored', detail: `GitHub event ${providerEvent} is not published (push, pull_request, pull_request_review, workflow_run, release are)` };
  }
}
