import { CodeEventKind } from './generated/events.generated';

/**
 * The `code.*` topics, one per kind of repository event, each keyed by repository
 * (`<provider>:<full name>`), so one repository's events of a kind stay in order.
 */
export const CODE_TOPICS: Record<CodeEventKind, string> = {
  push: 'code.pushes',
  pull_request: 'code.pull-requests',
  review: 'code.reviews',
  pipeline: 'code.pipelines',
  release: 'code.releases',
};

/** Descriptions for the catalogue. */
export const CODE_TOPIC_DESCRIPTIONS: Record<CodeEventKind, string> = {
  push: 'Pushes to branches and tags (commits, changed files), from GitHub and GitLab webhooks.',
  pull_request: 'Pull requests and merge requests opened, updated, merged, closed or reopened.',
  review: 'Reviews of pull/merge requests: approved, changes requested, commented.',
  pipeline: 'Finished CI runs: GitHub Actions workflow runs, GitLab pipelines.',
  release: 'Releases published (GitHub releases, GitLab releases).',
};

/** The Kafka key of a repository's events. */
export const codeRepositoryKey = (provider: string, fullName: string) => `${provider}:${fullName}`;

/** Request headers of the providers' webhooks (lower-case, as Node presents them). */
export const CODE_WEBHOOK_HEADERS = {
  github: {
    event: 'x-github-event',
    delivery: 'x-github-delivery',
    signature256: 'x-hub-signature-256',
  },
  gitlab: {
    event: 'x-gitlab-event',
    eventUuid: 'x-gitlab-event-uuid',
    token: 'x-gitlab-token',
    /** Standard Webhooks headers, sent when the hook has a signing token. */
    webhookId: 'webhook-id',
    webhookTimestamp: 'webhook-timestamp',
    webhookSignature: 'webhook-signature',
  },
} as const;
