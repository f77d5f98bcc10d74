import { CodeActor, CodeEvent } from '@phoenix/contracts';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const PROVIDERS: Record<CodeEvent['provider'], string> = { github: 'GitHub', gitlab: 'GitLab' };

const who = (a: CodeActor | null) => a?.login ?? a?.name ?? 'Someone';
const firstLine = (s: string, max = 80) => {
  const line = s.split('\n')[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};
const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const duration = (ms: number) => (ms < 60_000 ? `${Math.round(ms / 1000)}s` : `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`);

function push(e: CodeEvent): string {
  const p = e.push!;
  const repo = e.repository.fullName;
  const ref = e.tag !== null ? `tag ${e.tag}` : `branch ${e.branch ?? e.ref}`;
  if (p.deleted) return `${who(e.actor)} deleted ${ref} in ${repo}`;
  const shown = p.commits.slice(-5).map((c) => firstLine(c.message));
  const messages = shown.length ? `: ${shown.join('; ')}${p.totalCommits > shown.length ? '; …' : ''}` : '';
  if (e.tag !== null) return `${who(e.actor)} pushed tag ${e.tag} to ${repo}${e.sha ? ` at ${e.sha.slice(0, 7)}` : ''}`;
  if (p.created) return `${who(e.actor)} created ${ref} in ${repo}${p.totalCommits ? ` with ${plural(p.totalCommits, 'commit')}` : ''}${messages}`;
  return `${who(e.actor)} ${p.forced ? 'force-pushed' : 'pushed'} ${plural(p.totalCommits, 'commit')} to ${repo} ${e.branch ?? e.ref}${messages}`;
}

function request(e: CodeEvent): string {
  const pr = e.pullRequest!;
  return `${e.provider === 'gitlab' ? 'merge request' : 'pull request'} ${e.provider === 'gitlab' ? '!' : '#'}${pr.number} "${firstLine(pr.title, 120)}" in ${e.repository.fullName}`;
}

/**
 * A code repository event as one sentence for semantic memory: "ana pushed 3 commits to acme/api
 * main: fix login; add tests; bump deps (GitHub, 2026-11-20)", "bob approved pull request #12 …".
 */
export function renderCodeEvent(e: CodeEvent, occurredAt: number): string {
  const where = `(${PROVIDERS[e.provider]}, ${day(occurredAt)})`;
  switch (e.kind) {
    case 'push':
      return `${push(e)} ${where}`;
    case 'pull_request': {
      const pr = e.pullRequest!;
      const verb = { updated: 'pushed new commits to', edited: 'edited', ready_for_review: 'marked ready for review' }[e.action] ?? e.action;
      return `${who(e.actor)} ${verb} ${request(e)} (${pr.sourceBranch} → ${pr.targetBranch}) ${where}`;
    }
    case 'review': {
      const r = e.review!;
      const verb = { approved: 'approved', changes_requested: 'requested changes on', commented: 'commented on', dismissed: 'dismissed a review of', unapproved: 'withdrew approval of' }[r.state] ?? `reviewed (${r.state})`;
      return `${who(e.actor)} ${verb} ${request(e)}${r.body ? `: "${r.body.slice(0, 300)}"` : ''} ${where}`;
    }
    case 'pipeline': {
      const p = e.pipeline!;
      const took = p.durationMs !== null ? ` after ${duration(p.durationMs)}` : '';
      return `Pipeline${p.name ? ` "${p.name}"` : ''} ${p.status} on ${e.repository.fullName} ${e.tag ?? e.branch ?? ''}${e.sha ? ` at ${e.sha.slice(0, 7)}` : ''}${took} ${where}`.replace(/ {2,}/g, ' ');
    }
    case 'release': {
      const r = e.release!;
      const what = `release ${r.tag}${r.name && r.name !== r.tag ? ` "${r.name}"` : ''} of ${e.repository.fullName}`;
      const said = r.body ? `: ${firstLine(r.body, 200)}` : '';
      // GitLab's release hook names no user.
      return e.actor ? `${who(e.actor)} ${e.action} ${what}${said} ${where}` : `${cap(what)} was ${e.action}${said} ${where}`;
    }
  }
}
