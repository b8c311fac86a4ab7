import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import type { Exemption } from '@internal/plugin-compliance-common';
import {
  Box,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { ReactNode } from 'react';
import { StatusChip, formatDate } from '../shared';

/** The exemptions of one entity, newest first, with their status and decision. */
export function EntityExemptions(props: {
  exemptions: Exemption[] | undefined;
  loading: boolean;
  error?: Error;
  titles: Map<string, string>;
  action?: ReactNode;
}) {
  let content: JSX.Element;
  if (props.loading && !props.exemptions) {
    content = <Progress />;
  } else if (props.error) {
    content = <ResponseErrorPanel error={props.error} />;
  } else if (!props.exemptions?.length) {
    content = (
      <Typography variant="body2">
        No exemption has been requested for this entity.
      </Typography>
    );
  } else {
    const sorted = [...props.exemptions].sort((a, b) =>
      b.requestedAt.localeCompare(a.requestedAt),
    );
    content = (
      <Box overflow="auto">
        <Table size="small" aria-label="exemptions of this entity">
          <TableHead>
            <TableRow>
              <TableCell>Check</TableCell>
              <TableCell>Status</TableCell>
              <TableCell>Requested</TableCell>
              <TableCell>Expires</TableCell>
              <TableCell>Justification and compensating control</TableCell>
              <TableCell>Decision</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {sorted.map(e => (
              <TableRow key={e.id}>
                <TableCell>
                  <Typography variant="body2">
                    {props.titles.get(e.checkId) ?? e.checkId}
                  </Typography>
                  <Typography variant="caption" color="textSecondary">
                    {e.checkId}
                  </Typography>
                </TableCell>
                <TableCell>
                  <StatusChip status={e.status} />
                </TableCell>
                <TableCell style={{ whiteSpace: 'nowrap' }}>
                  <Typography variant="body2">{e.requestedBy}</Typography>
                  <Typography variant="caption" color="textSecondary">
                    {formatDate(e.requestedAt)}
                  </Typography>
                </TableCell>
                <TableCell style={{ whiteSpace: 'nowrap' }}>
                  {formatDate(e.expiresAt)}
                </TableCell>
                <TableCell>
                  {e.justification === undefined ? (
                    // The API withholds the free text from readers who are not the owners, the requester,
                    // compliance or security.
                    <Typography variant="body2" color="textSecondary">
                      Justification shown to the owners, the requester,
                      compliance and security
                    </Typography>
                  ) : (
                    <>
                      <Typography variant="body2">{e.justification}</Typography>
                      <Typography variant="caption" color="textSecondary">
                        Compensating control: {e.compensatingControl}
                      </Typography>
                    </>
                  )}
                </TableCell>
                <TableCell>
                  {e.decidedBy ? (
                    <>
                      <Typography variant="body2">{e.decidedBy}</Typography>
                      <Typography
                        variant="caption"
                        color="textSecondary"
                        component="div"
                      >
                        {formatDate(e.decidedAt)}
                      </Typography>
                      {e.decisionNote && (
                        <Typography variant="caption" color="textSecondary">
                          “{e.decisionNote}”
                        </Typography>
                      )}
                    </>
                  ) : (
                    <Typography variant="body2" color="textSecondary">
                      waiting for compliance
                    </Typography>
                  )}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </Box>
    );
  }
  return (
    <InfoCard title="Exemptions" action={props.action}>
      {content}
    </InfoCard>
  );
}
