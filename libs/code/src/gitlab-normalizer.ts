import { CodeActor, CodeCommit, CodePullRequest } from '@phoenix/contracts';
import { CodeDelivery, codeEvent, refName, touchedFiles, ZERO_SHA } from './code-delivery';
import { epochMs, PayloadReader } from './payload-reader';

const MR_ACTIONS: Record<string, string> = { open: 'opened', reopen: 'reopened', close: 'closed', merge: 'merged' };
const MR_STATES: Record<string, string> = { opened: 'open', closed: 'closed', merged: 'merged', locked: 'closed' };
const PIPELINE_ENDINGS: Record<string, string> = { success: 'succeeded', failed: 'failed', canceled: 'cancelled', skipped: 'skipped' };
const RELEASE_ACTIONS: Record<string, string> = { create: 'published', update: 'edited', delete: 'deleted' };

/** The project a GitLab delivery is about (its path with namespace), before anything else is trusted. */
export function gitlabRepository(body: unknown): string | null {
  return PayloadReader.of(body).str('project.path_with_namespace');
}

function repository(p: PayloadReader) {
  return { fullName: p.required('project.path_with_namespace'), name: p.required('project.name'), url: p.str('project.web_url'), defaultBranch: p.str('project.default_branch') };
}

const userOf = (r: PayloadReader | null): CodeActor | null => (r ? { login: r.str('username'), name: r.str('name'), email: r.str('email') } : null);

function mergeRequest(mr: PayloadReader, author: CodeActor | null): CodePullRequest {
  const state = mr.required('state');
  return {
    number: mr.requiredNum('iid'),
    title: mr.required('title'),
    body: mr.str('description'),
    state: MR_STATES[state] ?? state,
    draft: mr.bool('draft') || mr.bool('work_in_progress'),
    merged: state === 'merged',
    sourceBranch: mr.required('source_branch'),
    targetBranch: mr.required('target_branch'),
    headSha: mr.str('last_commit.id'),
    url: mr.str('url'),
    author,
  };
}

/**
 * A GitLab webhook delivery (`X-Gitlab-Event`, its JSON body) as a Phoenix code event: Push and
 * Tag Push Hooks, Merge Request Hooks (approvals are reviews), Note Hooks on merge requests
 * (review comments), finished Pipeline Hooks, Release Hooks. GitLab's test of a merge request
 * hook sends one without an action: answered like a ping.
 */
export function normalizeGitlab(providerEvent: string, deliveryId: string, body: unknown): CodeDelivery {
  const p = PayloadReader.of(body);
  const base = { provider: 'gitlab' as const, deliveryId, providerEvent };
  const kind = p.str('object_kind') ?? '';
  const actor = userOf(p.at('user'));
  switch (kind) {
    case 'push':
    case 'tag_push': {
      const ref = p.required('ref');
      const { branch, tag } = refName(ref);
      const before = p.required('before');
      const after = p.required('after');
      const created = ZERO_SHA.test(before);
      const deleted = ZERO_SHA.test(after);
      const commits: CodeCommit[] = p.list('commits').map((c) => ({
        id: c.required('id'),
        message: c.str('message') ?? '',
        url: c.str('url'),
        timestamp: epochMs(c.str('timestamp')),
        author: { login: null, name: c.str('author.name'), email: c.str('author.email') },
        added: c.strings('added'),
        modified: c.strings('modified'),
        removed: c.strings('removed'),
      }));
      const head = commits.find((c) => c.id === after) ?? commits[commits.length - 1];
      return codeEvent(
        {
          ...base,
          kind: 'push',
          action: deleted ? 'deleted' : created ? 'created' : 'pushed',
          repository: repository(p),
          actor: { login: p.str('user_username'), name: p.str('user_name'), email: p.str('user_email') },
          ref,
          branch,
          tag,
          sha: deleted ? before : (p.str('checkout_sha') ?? after),
          url: head?.url ?? p.str('project.web_url'),
          push: { before, after, created, deleted, forced: false, commits, totalCommits: p.num('total_commits_count') ?? commits.length, files: touchedFiles(commits) },
        },
        p.body,
        head?.timestamp ?? null,
        tag !== null ? 'tag' : 'branch',
      );
    }
    case 'merge_request': {
      const raw = p.str('object_attributes.action');
      if (!raw) return { kind: 'ping', detail: 'a merge request hook without an action: GitLab testing the hook' };
      const mr = p.at('object_attributes')!;
      const common = { ...base, repository: repository(p), actor, sha: mr.str('last_commit.id'), url: mr.str('url') };
      const occurredAt = epochMs(mr.str('updated_at'));
      if (raw === 'approval' || raw === 'unapproval') {
        const state = raw === 'approval' ? 'approved' : 'unapproved';
        const pr = mergeRequest(mr, null);
        return codeEvent({ ...common, kind: 'review', action: state, branch: pr.targetBranch, pullRequest: pr, review: { state, body: null, url: pr.url } }, p.body, occurredAt);
      }
      // `update` with `oldrev` is new commits; without it, an edit of the title, labels …
      const action = raw === 'update' ? (mr.str('oldrev') ? 'updated' : 'edited') : MR_ACTIONS[raw];
      if (!action) return { kind: 'ignored', detail: `merge request ${raw} is not published (approval, unapproval are reviews)` };
      const pr = mergeRequest(mr, raw === 'open' ? actor : null);
      return codeEvent({ ...common, kind: 'pull_request', action, ref: `refs/heads/${pr.targetBranch}`, branch: pr.targetBranch, pullRequest: pr }, p.body, occurredAt);
    }
    case 'note': {
      const mr = p.at('merge_request');
      if (p.str('object_attributes.noteable_type') !== 'MergeRequest' || !mr) return { kind: 'ignored', detail: 'only comments on merge requests are published (as reviews)' };
      const pr = mergeRequest(mr, null);
      const url = p.str('object_attributes.url');
      return codeEvent(
        { ...base, kind: 'review', action: 'commented', repository: repository(p), actor, branch: pr.targetBranch, sha: pr.headSha, url, pullRequest: pr, review: { state: 'commented', body: p.str('object_attributes.note'), url } },
        p.body,
        epochMs(p.str('object_attributes.created_at')),
      );
    }
    case 'pipeline': {
      const raw = p.required('object_attributes.status');
      const status = PIPELINE_ENDINGS[raw];
      if (!status) return { kind: 'ignored', detail: `pipeline ${raw} is not finished; only finished pipelines are published` };
      const id = p.required('object_attributes.id');
      const ref = p.str('object_attributes.ref');
      const isTag = p.bool('object_attributes.tag');
      const startedAt = epochMs(p.str('object_attributes.created_at'));
      const finishedAt = epochMs(p.str('object_attributes.finished_at'));
      const seconds = p.num('object_attributes.duration');
      return codeEvent(
        {
          ...base,
          kind: 'pipeline',
          action: status,
          repository: repository(p),
          actor,
          ref: ref ? `refs/${isTag ? 'tags' : 'heads'}/${ref}` : null,
          branch: isTag ? null : ref,
          tag: isTag ? ref : null,
          sha: p.str('object_attributes.sha'),
          url: p.str('object_attributes.url') ?? (p.str('project.web_url') ? `${p.str('project.web_url')}/-/pipelines/${id}` : null),
          pipeline: { id, name: p.str('object_attributes.name'), status, trigger: p.str('object_attributes.source'), startedAt, finishedAt, durationMs: seconds !== null ? Math.round(seconds * 1000) : null },
        },
        p.body,
        finishedAt,
      );
    }
    case 'release': {
      const raw = p.required('action');
      const action = RELEASE_ACTIONS[raw] ?? raw;
      const tag = p.required('tag');
      return codeEvent(
        { ...base, kind: 'release', action, repository: repository(p), actor, ref: `refs/tags/${tag}`, tag, sha: p.str('commit.id'), url: p.str('url'), release: { tag, name: p.str('name'), body: p.str('description'), draft: false, prerelease: p.bool('upcoming_release') } },
        p.body,
        epochMs(p.str('released_at') ?? p.str('created_at')),
      );
    }
    default:
      return { kind: 'ignored', detail: `GitLab ${providerEvent || kind || 'event'} is not published (push, tag push, merge request, note on a merge request, pipeline, release are)` };
  }
}
