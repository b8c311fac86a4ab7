import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import type { HistoryEntry } from '@internal/plugin-compliance-common';
import {
  Box,
  Button,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Tooltip as MuiTooltip,
  Typography,
} from '@material-ui/core';
import { useMemo, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  Area,
  AreaChart,
  CartesianGrid,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { complianceApiRef } from '../../api';
import { ChartLegend, StatusChip, formatDate, formatDateTime } from '../shared';
import { historySeries } from './historySeries';

/** The most changes the backend returns in one call; enough for years of a typical entity. */
const HISTORY_LIMIT = 1000;
const LIST_PAGE = 15;
const DAY = 24 * 3600 * 1000;

function ChangesList(props: {
  entries: HistoryEntry[];
  titles: Map<string, string>;
}) {
  const [shown, setShown] = useState(LIST_PAGE);
  return (
    <>
      <Table size="small" aria-label="changes">
        <TableHead>
          <TableRow>
            <TableCell>When</TableCell>
            <TableCell>Check</TableCell>
            <TableCell>Change</TableCell>
            <TableCell>Rules</TableCell>
            <TableCell>Chain hash</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {props.entries.slice(0, shown).map(entry => (
            <TableRow key={entry.seq}>
              <TableCell>{formatDateTime(entry.recordedAt)}</TableCell>
              <TableCell>
                <Typography variant="body2">
                  {props.titles.get(entry.checkId) ?? entry.checkId}
                </Typography>
                <Typography variant="caption" color="textSecondary">
                  {entry.checkId}
                </Typography>
              </TableCell>
              <TableCell>
                {entry.previousStatus ? (
                  <StatusChip status={entry.previousStatus} />
                ) : (
                  'new'
                )}{' '}
                → <StatusChip status={entry.status} />
              </TableCell>
              <TableCell>
                {entry.packName} {entry.packVersion}
              </TableCell>
              <TableCell>
                <MuiTooltip title={entry.hash}>
                  <code>{entry.hash.slice(0, 12)}</code>
                </MuiTooltip>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {props.entries.length > shown && (
        <Box mt={1}>
          <Button size="small" onClick={() => setShown(n => n + LIST_PAGE)}>
            Show {Math.min(LIST_PAGE, props.entries.length - shown)} more of{' '}
            {props.entries.length - shown}
          </Button>
        </Box>
      )}
    </>
  );
}

/**
 * How the entity's checks changed over time, from the tamper-evident history: a chart of how many checks pass,
 * are exempt and fail, and the list of changes.
 */
export function HistoryTimeline(props: {
  entityRef: string;
  titles: Map<string, string>;
  reloadKey?: unknown;
}) {
  const api = useApi(complianceApiRef);
  const history = useAsync(
    () => api.getHistory(props.entityRef, { limit: HISTORY_LIMIT }),
    [api, props.entityRef, props.reloadKey],
  );
  const series = useMemo(
    () => historySeries(history.value ?? [], new Date()),
    [history.value],
  );

  const spansDays =
    series.length > 1 &&
    series[series.length - 1].time - series[0].time > 2 * DAY;

  let content: JSX.Element;
  if (history.loading) {
    content = <Progress />;
  } else if (history.error) {
    content = <ResponseErrorPanel error={history.error} />;
  } else if (!history.value?.length) {
    content = (
      <Typography variant="body2">
        No history yet: the entity has not been evaluated.
      </Typography>
    );
  } else {
    content = (
      <>
        <Box
          height={240}
          overflow="hidden"
          aria-label="checks over time"
          role="img"
        >
          <ResponsiveContainer width="100%" height="100%">
            <AreaChart
              data={series}
              margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
            >
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis
                dataKey="time"
                type="number"
                scale="time"
                domain={['dataMin', 'dataMax']}
                tickFormatter={(t: number) => {
                  const iso = new Date(t).toISOString();
                  // Days when the history spans days, times when it spans hours.
                  return spansDays ? formatDate(iso) : formatDateTime(iso);
                }}
              />
              <YAxis allowDecimals={false} />
              <Tooltip
                labelFormatter={(t: any) =>
                  formatDateTime(new Date(Number(t)).toISOString())
                }
              />
              <Area
                type="stepAfter"
                dataKey="fail"
                name="failing"
                stackId="1"
                stroke="#c62828"
                fill="#ef9a9a"
              />
              <Area
                type="stepAfter"
                dataKey="exempt"
                name="exempt"
                stackId="1"
                stroke="#1565c0"
                fill="#90caf9"
              />
              <Area
                type="stepAfter"
                dataKey="pass"
                name="passing"
                stackId="1"
                stroke="#2e7d32"
                fill="#a5d6a7"
              />
            </AreaChart>
          </ResponsiveContainer>
        </Box>
        <ChartLegend
          items={[
            { name: 'failing', color: '#ef9a9a' },
            { name: 'exempt', color: '#90caf9' },
            { name: 'passing', color: '#a5d6a7' },
          ]}
        />
        <Box mt={2}>
          <Typography variant="subtitle2" gutterBottom>
            Changes, newest first ({history.value.length})
          </Typography>
          <ChangesList entries={history.value} titles={props.titles} />
        </Box>
      </>
    );
  }
  return (
    <InfoCard
      title="History"
      subheader="Only changes are stored; each is chained by hash to the one before."
    >
      {content}
    </InfoCard>
  );
}
