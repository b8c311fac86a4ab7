import { parseEntityRef } from '@backstage/catalog-model';
import path from 'node:path';
import { PublishProvider, PublishSettings } from '../settings';

/** Where a project's repository goes, and how people and the catalog refer to it. */
export interface ProjectDestination {
  provider: PublishProvider;
  /** The Backstage `repoUrl` of the publish actions (`host?owner=..&repo=..`), or the bare repository path. */
  repoUrl: string;
  repository: string;
  /** Where people browse it. */
  browseUrl: string;
  /** Value of `backstage.io/source-location`. */
  sourceLocation: string;
  /** Where the catalog will read the published catalog-info.yaml. */
  catalogInfoUrl: string;
  defaultBranch: string;
}

/** Where an environment request goes: a branch of the GitOps repository, one folder per namespace. */
export interface EnvironmentRequestDestination {
  provider: PublishProvider;
  repoUrl: string;
  repository: string;
  branch: string;
  /** Folder in the GitOps repository. */
  path: string;
  browseUrl: string;
  /** Value of `forge.io/environment-request`. */
  reference: string;
}

/**
 * The embedded default keeps bare repositories under the data folder (`checkoutRoot` held the working copies the
 * catalog read before the repositories were served over HTTP; projects registered then still refer to it).
 */
export function localLayout(dataDir: string) {
  return {
    bareRoot: path.join(dataDir, 'git'),
    checkoutRoot: path.join(dataDir, 'repositories'),
  };
}

/**
 * Where the portal serves a local repository (read-only; packages/backend/src/modules/localRepositories): the same
 * URL opens in a browser and is read by the catalog and TechDocs, the way a GitHub URL is.
 */
export function localRepositoryUrl(settings: PublishSettings, owner: string, repository: string) {
  const base = settings.appBaseUrl.replace(/\/+$/, '');
  return `${base}/repositories/${encodeURIComponent(owner)}/${encodeURIComponent(repository)}`;
}

export function projectDestination(
  settings: PublishSettings,
  dataDir: string,
  ownerRef: string,
  name: string,
): ProjectDestination {
  const owner = parseEntityRef(ownerRef, { defaultKind: 'group' }).name;
  const branch = settings.defaultBranch;
  const repository = settings.prefixWithOwner && settings.provider !== 'local' ? `${owner}-${name}` : name;
  const { host, organization: org, project } = settings;
  switch (settings.provider) {
    case 'github':
      return {
        provider: 'github',
        repoUrl: `${host}?owner=${org}&repo=${repository}`,
        repository: `${org}/${repository}`,
        browseUrl: `https://${host}/${org}/${repository}`,
        sourceLocation: `url:https://${host}/${org}/${repository}/tree/${branch}/`,
        catalogInfoUrl: `https://${host}/${org}/${repository}/blob/${branch}/catalog-info.yaml`,
        defaultBranch: branch,
      };
    case 'gitlab':
      return {
        provider: 'gitlab',
        repoUrl: `${host}?owner=${org}&repo=${repository}`,
        repository: `${org}/${repository}`,
        browseUrl: `https://${host}/${org}/${repository}`,
        sourceLocation: `url:https://${host}/${org}/${repository}/-/tree/${branch}/`,
        catalogInfoUrl: `https://${host}/${org}/${repository}/-/blob/${branch}/catalog-info.yaml`,
        defaultBranch: branch,
      };
    case 'bitbucketServer':
      return {
        provider: 'bitbucketServer',
        repoUrl: `${host}?project=${org}&repo=${repository}`,
        repository: `${org}/${repository}`,
        browseUrl: `https://${host}/projects/${org}/repos/${repository}`,
        sourceLocation: `url:https://${host}/projects/${org}/repos/${repository}/browse`,
        catalogInfoUrl: `https://${host}/projects/${org}/repos/${repository}/browse/catalog-info.yaml`,
        defaultBranch: branch,
      };
    case 'azure':
      return {
        provider: 'azure',
        repoUrl: `${host}?organization=${org}&project=${project}&repo=${repository}`,
        repository: `${org}/${project}/${repository}`,
        browseUrl: `https://${host}/${org}/${project}/_git/${repository}`,
        sourceLocation: `url:https://${host}/${org}/${project}/_git/${repository}`,
        catalogInfoUrl: `https://${host}/${org}/${project}/_git/${repository}?path=/catalog-info.yaml`,
        defaultBranch: branch,
      };
    default: {
      const bare = path.join(localLayout(dataDir).bareRoot, owner, `${name}.git`);
      const web = localRepositoryUrl(settings, owner, name);
      return {
        provider: 'local',
        repoUrl: bare,
        repository: `${owner}/${name}`,
        browseUrl: web,
        sourceLocation: `url:${web}/tree/${branch}/`,
        catalogInfoUrl: `${web}/blob/${branch}/catalog-info.yaml`,
        defaultBranch: branch,
      };
    }
  }
}

export function environmentRequestDestination(
  settings: PublishSettings,
  dataDir: string,
  namespace: string,
): EnvironmentRequestDestination {
  const { host, project } = settings;
  const org = settings.gitops.organization ?? settings.organization;
  const repo = settings.gitops.repository;
  const branch = `environment-request/${namespace}`;
  const folder = `${settings.gitops.path}/${namespace}`;
  switch (settings.provider) {
    case 'github': {
      const browseUrl = `https://${host}/${org}/${repo}/tree/${branch}/${folder}`;
      return { provider: 'github', repoUrl: `${host}?owner=${org}&repo=${repo}`, repository: `${org}/${repo}`, branch, path: folder, browseUrl, reference: `url:${browseUrl}` };
    }
    case 'gitlab': {
      const browseUrl = `https://${host}/${org}/${repo}/-/tree/${branch}/${folder}`;
      return { provider: 'gitlab', repoUrl: `${host}?owner=${org}&repo=${repo}`, repository: `${org}/${repo}`, branch, path: folder, browseUrl, reference: `url:${browseUrl}` };
    }
    case 'bitbucketServer': {
      const browseUrl = `https://${host}/projects/${org}/repos/${repo}/browse/${folder}?at=refs%2Fheads%2F${encodeURIComponent(branch)}`;
      return { provider: 'bitbucketServer', repoUrl: `${host}?project=${org}&repo=${repo}`, repository: `${org}/${repo}`, branch, path: folder, browseUrl, reference: `url:${browseUrl}` };
    }
    case 'azure': {
      // Backstage has no pull-request action for Azure DevOps: each request gets a repository of its own.
      const requestRepo = `${repo}-${namespace}`;
      const browseUrl = `https://${host}/${org}/${project}/_git/${requestRepo}?path=/${folder}`;
      return { provider: 'azure', repoUrl: `${host}?organization=${org}&project=${project}&repo=${requestRepo}`, repository: `${org}/${project}/${requestRepo}`, branch: settings.defaultBranch, path: folder, browseUrl, reference: `url:${browseUrl}` };
    }
    default: {
      const owner = org ?? 'platform';
      const bare = path.join(localLayout(dataDir).bareRoot, owner, `${repo}.git`);
      const browseUrl = `${localRepositoryUrl(settings, owner, repo)}/tree/${branch}/${folder}`;
      return { provider: 'local', repoUrl: bare, repository: `${owner}/${repo}`, branch, path: folder, browseUrl, reference: `url:${browseUrl}` };
    }
  }
}
