import {
  Content,
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { parseEntityRef } from '@backstage/catalog-model';
import { useApi, useAppSearchParams } from '@backstage/frontend-plugin-api';
import {
  catalogApiRef,
  humanizeEntityRef,
  useEntityRefLink,
} from '@backstage/plugin-catalog-react';
import type { ComplianceDashboard as Dashboard } from '@internal/plugin-compliance-common';
import {
  Button,
  Grid,
  MenuItem,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
  makeStyles,
} from '@material-ui/core';
import { Autocomplete } from '@material-ui/lab';
import useAsync from 'react-use/esm/useAsync';
import {
  CartesianGrid,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { complianceApiRef } from '../../api';
import {
  ChartLegend,
  LevelBadge,
  formatDate,
  formatDateTime,
  scoreColour,
  useComplianceTabLink,
} from '../shared';
import { TeamHeatMap } from './TeamHeatMap';

const WEEK_CHOICES = [4, 12, 26, 52];

const useStyles = makeStyles(theme => ({
  controls: {
    display: 'flex',
    gap: theme.spacing(2),
    alignItems: 'center',
    flexWrap: 'wrap',
  },
  picker: { minWidth: 320 },
  nowrap: { '& td, & th': { whiteSpace: 'nowrap' } },
}));

interface GroupOption {
  ref: string;
  title: string;
}

function GroupPicker(props: {
  value: string;
  onChange: (ref: string | undefined) => void;
}) {
  const classes = useStyles();
  const catalogApi = useApi(catalogApiRef);
  const groups = useAsync(async (): Promise<GroupOption[]> => {
    const { items } = await catalogApi.getEntities({
      filter: { kind: 'Group' },
      fields: ['kind', 'metadata.name', 'metadata.namespace', 'metadata.title'],
    });
    return items
      .map(g => ({
        ref: `group:${g.metadata.namespace ?? 'default'}/${g.metadata.name}`,
        title: g.metadata.title ?? g.metadata.name,
      }))
      .sort((a, b) => a.title.localeCompare(b.title));
  }, [catalogApi]);
  const options = groups.value ?? [];
  const selected = options.find(o => o.ref === props.value) ?? null;
  return (
    <Autocomplete
      className={classes.picker}
      options={options}
      loading={groups.loading}
      value={selected}
      getOptionLabel={o => o.title}
      getOptionSelected={(a, b) => a.ref === b.ref}
      onChange={(_e, option) => props.onChange(option?.ref)}
      renderInput={params => (
        <TextField
          {...params}
          label="Root group"
          variant="outlined"
          size="small"
          helperText={
            groups.error
              ? `Could not list groups: ${groups.error.message}`
              : 'The team and all its sub-teams'
          }
        />
      )}
    />
  );
}

function TrendChart(props: { trend: Dashboard['trend'] }) {
  if (props.trend.length === 0) {
    return (
      <Typography variant="body2">No history yet for these teams.</Typography>
    );
  }
  return (
    <figure style={{ margin: 0, overflow: 'hidden' }}>
      <div
        style={{ height: 280 }}
        role="img"
        aria-label="average score and failing checks per week"
      >
        <ResponsiveContainer width="100%" height="100%">
          <LineChart
            data={props.trend}
            margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
          >
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis
              dataKey="date"
              tickFormatter={(d: string) => formatDate(d)}
            />
            <YAxis yAxisId="score" domain={[0, 100]} />
            <YAxis
              yAxisId="failing"
              orientation="right"
              allowDecimals={false}
            />
            <Tooltip
              labelFormatter={(d: any) =>
                `Week ending ${formatDate(String(d))}`
              }
            />
            <Line
              yAxisId="score"
              type="monotone"
              dataKey="averageScore"
              name="average score"
              stroke="#1565c0"
              strokeWidth={2}
              dot={{ r: 2.5 }}
            />
            <Line
              yAxisId="failing"
              type="monotone"
              dataKey="failingChecks"
              name="failing checks"
              stroke="#c62828"
              strokeWidth={2}
              dot={{ r: 2.5 }}
            />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <ChartLegend
        items={[
          { name: 'average score', color: '#1565c0', line: 'solid' },
          { name: 'failing checks', color: '#c62828', line: 'solid' },
        ]}
      />
    </figure>
  );
}

/** New projects whose only open checks wait for their first CI evidence, soonest due first. */
function AwaitingEvidence(props: {
  entities: NonNullable<Dashboard['awaitingEvidence']>;
}) {
  const classes = useStyles();
  const tabLink = useComplianceTabLink();
  return (
    <Table
      size="small"
      aria-label="awaiting CI evidence"
      className={classes.nowrap}
    >
      <TableHead>
        <TableRow>
          <TableCell>Entity</TableCell>
          <TableCell align="right">Score</TableCell>
          <TableCell align="right">Pending</TableCell>
          <TableCell>Due</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.entities.map(e => (
          <TableRow key={e.entityRef}>
            <TableCell>
              <Link to={tabLink(e.entityRef)}>
                {humanizeEntityRef(parseEntityRef(e.entityRef), {
                  defaultKind: 'component',
                })}
              </Link>
            </TableCell>
            <TableCell align="right">{e.score}</TableCell>
            <TableCell align="right">{e.pending}</TableCell>
            <TableCell>
              {e.nextDueAt ? formatDateTime(e.nextDueAt) : 'unknown'}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function WorstEntities(props: { entities: Dashboard['worstEntities'] }) {
  const classes = useStyles();
  const tabLink = useComplianceTabLink();
  const entityLink = useEntityRefLink();
  if (props.entities.length === 0) {
    return (
      <Typography variant="body2">
        No evaluated entity is owned by these teams.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="worst entities" className={classes.nowrap}>
      <TableHead>
        <TableRow>
          <TableCell>Entity</TableCell>
          <TableCell>Owner</TableCell>
          <TableCell align="right">Score</TableCell>
          <TableCell>Level</TableCell>
          <TableCell align="right">Failing</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.entities.map(e => (
          <TableRow key={e.entityRef}>
            <TableCell>
              <Link to={tabLink(e.entityRef)}>
                {humanizeEntityRef(parseEntityRef(e.entityRef), {
                  defaultKind: 'component',
                })}
              </Link>
            </TableCell>
            <TableCell>
              <Link to={entityLink(e.ownerRef)}>
                {humanizeEntityRef(parseEntityRef(e.ownerRef), {
                  defaultKind: 'group',
                })}
              </Link>
            </TableCell>
            <TableCell
              align="right"
              style={{ color: scoreColour(e.score), fontWeight: 700 }}
            >
              {e.score}
            </TableCell>
            <TableCell>
              <LevelBadge level={e.level} size="small" />
            </TableCell>
            <TableCell align="right">{e.failing}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/**
 * For managers: every team under a root group against the control families as a heat map, the trend of the
 * average score and failing checks, and the entities that need attention first.
 */
export function ComplianceDashboard() {
  const classes = useStyles();
  const api = useApi(complianceApiRef);
  const [params, setParams] = useAppSearchParams();
  const group = params.get('group') ?? undefined;
  const weeks = Number(params.get('weeks') ?? 12);
  const dashboard = useAsync(
    () => api.getDashboard({ group, weeks }),
    [api, group, weeks],
  );

  const update = (changes: Record<string, string | undefined>) => {
    setParams(previous => {
      const next = new URLSearchParams(previous);
      for (const [key, value] of Object.entries(changes)) {
        if (value === undefined) next.delete(key);
        else next.set(key, value);
      }
      return next;
    });
  };

  const root = dashboard.value?.rootGroupRef ?? group ?? '';
  const rootTeam = dashboard.value?.teams.find(t => t.groupRef === root);

  return (
    <Content>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <div className={classes.controls}>
            <GroupPicker
              value={root}
              onChange={ref => update({ group: ref })}
            />
            <TextField
              id="compliance-trend-weeks"
              select
              label="Trend over"
              size="small"
              variant="outlined"
              value={weeks}
              onChange={e => update({ weeks: e.target.value })}
            >
              {WEEK_CHOICES.map(w => (
                <MenuItem key={w} value={w}>
                  {w} weeks
                </MenuItem>
              ))}
            </TextField>
            {group && (
              <Button size="small" onClick={() => update({ group: undefined })}>
                Whole organisation
              </Button>
            )}
          </div>
        </Grid>
        {dashboard.loading && (
          <Grid item xs={12}>
            <Progress />
          </Grid>
        )}
        {dashboard.error && (
          <Grid item xs={12}>
            <ResponseErrorPanel error={dashboard.error} />
          </Grid>
        )}
        {dashboard.value && (
          <>
            <Grid item xs={12}>
              <InfoCard
                title={`Teams against control families${
                  rootTeam ? `: ${rootTeam.title}` : ''
                }`}
                subheader="Each team counts its own entities and those of every sub-team"
              >
                {dashboard.value.teams.length === 0 ? (
                  <Typography variant="body2">
                    This group has no teams.
                  </Typography>
                ) : (
                  <TeamHeatMap
                    teams={dashboard.value.teams}
                    families={dashboard.value.families}
                    onFocus={ref => update({ group: ref })}
                  />
                )}
              </InfoCard>
            </Grid>
            <Grid item xs={12} lg={4}>
              <InfoCard
                title="Trend"
                subheader={`Average score and failing checks, last ${weeks} weeks`}
              >
                <TrendChart trend={dashboard.value.trend} />
              </InfoCard>
            </Grid>
            <Grid item xs={12} lg={8}>
              <InfoCard
                title="Worst entities"
                subheader="Lowest scores first; open one to see what fails"
              >
                <WorstEntities entities={dashboard.value.worstEntities} />
              </InfoCard>
            </Grid>
            {(dashboard.value.awaitingEvidence ?? []).length > 0 && (
              <Grid item xs={12} lg={4}>
                <InfoCard
                  title="Awaiting CI evidence"
                  subheader="New projects whose other checks all pass; pending checks fail if no evidence arrives by the date shown"
                >
                  <AwaitingEvidence
                    entities={dashboard.value.awaitingEvidence!}
                  />
                </InfoCard>
              </Grid>
            )}
          </>
        )}
      </Grid>
    </Content>
  );
}
