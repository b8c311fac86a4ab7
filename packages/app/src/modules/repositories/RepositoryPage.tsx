import {
  Content,
  EmptyState,
  Header,
  Link,
  MarkdownContent,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  Box,
  Breadcrumbs,
  Chip,
  makeStyles,
  Paper,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import FolderIcon from '@material-ui/icons/Folder';
import FileIcon from '@material-ui/icons/InsertDriveFileOutlined';
import LinkIcon from '@material-ui/icons/Link';
import { useLocation } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';

/** What `GET /api/repositories/...` answers (packages/backend/src/modules/localRepositories). */
export interface RepositoryView {
  owner: string;
  repository: string;
  branch: string;
  defaultBranch: string;
  branches: string[];
  commit: string;
  path: string;
  type: 'tree' | 'blob';
  entries?: Array<{
    name: string;
    path: string;
    type: 'tree' | 'blob' | 'link';
    size?: number;
  }>;
  readme?: { path: string; text: string };
  file?: { size: number; text?: string };
}

const useStyles = makeStyles(theme => ({
  code: {
    margin: 0,
    padding: theme.spacing(2),
    overflow: 'auto',
    fontFamily: 'monospace',
    fontSize: '0.85rem',
    whiteSpace: 'pre',
  },
  name: { display: 'flex', alignItems: 'center', gap: theme.spacing(1) },
  size: { whiteSpace: 'nowrap' },
}));

const encodePath = (p: string) =>
  p.split('/').filter(Boolean).map(encodeURIComponent).join('/');

function formatSize(bytes: number) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A repository folder or file, read-only, with links to go up and down the tree and to other branches. */
export function RepositoryPage() {
  const classes = useStyles();
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const { pathname } = useLocation();
  // Everything after /repositories/: owner/name[/tree|blob/branch/path].
  const rest = pathname.replace(/^.*?\/repositories\/?/, '');

  const state = useAsync(async (): Promise<RepositoryView> => {
    const base = await discoveryApi.getBaseUrl('repositories');
    const response = await fetchApi.fetch(`${base}/${rest}`);
    if (!response.ok) throw await ResponseError.fromResponse(response);
    return response.json();
  }, [rest]);

  const view = state.value;
  const root = view
    ? `/repositories/${encodeURIComponent(view.owner)}/${encodeURIComponent(
        view.repository,
      )}`
    : '';
  const at = (kind: 'tree' | 'blob', branch: string, p: string) =>
    `${root}/${kind}/${encodePath(branch)}${p ? `/${encodePath(p)}` : ''}`;
  const title = view ? `${view.owner}/${view.repository}` : 'Repository';

  return (
    <Page themeId="tool">
      <Header
        title={title}
        subtitle="A repository published by Forge (read-only)"
        type="Repository"
      />
      <Content>
        {state.loading && <Progress />}
        {state.error && <ResponseErrorPanel error={state.error} />}
        {!rest && (
          <EmptyState
            missing="info"
            title="No repository chosen"
            description="Open a repository from a project's Repository or View source link."
          />
        )}
        {view && (
          <>
            <Box display="flex" alignItems="center" mb={2} style={{ gap: 8 }}>
              <Typography variant="body2" component="span">
                Branch
              </Typography>
              {view.branches.map(b => (
                <Link
                  key={b}
                  to={at('tree', b, '')}
                  aria-current={b === view.branch ? 'page' : undefined}
                >
                  <Chip
                    size="small"
                    label={b}
                    color={b === view.branch ? 'primary' : 'default'}
                  />
                </Link>
              ))}
              <Typography variant="body2" color="textSecondary">
                at {view.commit.slice(0, 10)}
              </Typography>
            </Box>
            <Breadcrumbs aria-label="Path in the repository">
              <Link to={at('tree', view.branch, '')}>{view.repository}</Link>
              {view.path
                .split('/')
                .filter(Boolean)
                .map((segment, i, all) =>
                  i === all.length - 1 ? (
                    <Typography key={i} color="textPrimary">
                      {segment}
                    </Typography>
                  ) : (
                    <Link
                      key={i}
                      to={at(
                        'tree',
                        view.branch,
                        all.slice(0, i + 1).join('/'),
                      )}
                    >
                      {segment}
                    </Link>
                  ),
                )}
            </Breadcrumbs>
            <Box mt={2}>
              {view.type === 'tree' ? (
                <Paper variant="outlined">
                  <Table
                    size="small"
                    aria-label={`Files in ${view.path || view.repository}`}
                  >
                    <TableHead>
                      <TableRow>
                        <TableCell>Name</TableCell>
                        <TableCell align="right">Size</TableCell>
                      </TableRow>
                    </TableHead>
                    <TableBody>
                      {(view.entries ?? []).map(entry => (
                        <TableRow key={entry.path}>
                          <TableCell>
                            <span className={classes.name}>
                              {entry.type === 'tree' && (
                                <FolderIcon fontSize="small" aria-hidden />
                              )}
                              {entry.type === 'blob' && (
                                <FileIcon fontSize="small" aria-hidden />
                              )}
                              {entry.type === 'link' && (
                                <LinkIcon fontSize="small" aria-hidden />
                              )}
                              {entry.type === 'link' ? (
                                entry.name
                              ) : (
                                <Link
                                  to={at(entry.type, view.branch, entry.path)}
                                >
                                  {entry.name}
                                </Link>
                              )}
                            </span>
                          </TableCell>
                          <TableCell align="right" className={classes.size}>
                            {entry.size !== undefined
                              ? formatSize(entry.size)
                              : ''}
                          </TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                </Paper>
              ) : (
                <Paper variant="outlined">
                  <Box px={2} pt={1}>
                    <Typography variant="body2" color="textSecondary">
                      {formatSize(view.file?.size ?? 0)}
                    </Typography>
                  </Box>
                  {view.file?.text !== undefined ? (
                    <pre
                      className={classes.code}
                      aria-label={`Contents of ${view.path}`}
                    >
                      {view.file.text}
                    </pre>
                  ) : (
                    <Box p={2}>
                      <Typography>
                        A binary file; it is not shown here.
                      </Typography>
                    </Box>
                  )}
                </Paper>
              )}
            </Box>
            {view.readme && (
              <Box mt={2}>
                <Paper variant="outlined">
                  <Box p={2}>
                    <Typography variant="h6" component="h2" gutterBottom>
                      {view.readme.path.split('/').pop()}
                    </Typography>
                    <MarkdownContent content={view.readme.text} />
                  </Box>
                </Paper>
              </Box>
            )}
          </>
        )}
      </Content>
    </Page>
  );
}
