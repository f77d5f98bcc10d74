import { RepoSecrets } from '@phoenix/config';

/** The secret configured for a repository: its own, else the provider-wide `*` one, else none (refused). */
export function secretFor(secrets: RepoSecrets, repository: string): string | undefined {
  const name = repository.toLowerCase();
  return Object.hasOwn(secrets.repos, name) ? secrets.repos[name] : secrets.any;
}
