import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { humanizeEntityRef, useEntity } from '@backstage/plugin-catalog-react';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  Box,
  Button,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { complianceApiRef } from '../../api';
import { SeverityChip, formatDate, useComplianceTabLink } from '../shared';

const PAGE = 10;

/** Failing checks of every entity the team or any of its sub-teams owns, most severe first. */
export function GroupFailingChecksCard() {
  const { entity } = useEntity();
  const groupRef = stringifyEntityRef(entity);
  const api = useApi(complianceApiRef);
  const tabLink = useComplianceTabLink();
  const failing = useAsync(
    () => api.getGroupFailingChecks(groupRef),
    [api, groupRef],
  );
  const [shown, setShown] = useState(PAGE);

  let content: JSX.Element;
  if (failing.loading) {
    content = <Progress />;
  } else if (failing.error) {
    content = <ResponseErrorPanel error={failing.error} />;
  } else if (!failing.value?.length) {
    content = (
      <Alert severity="success">
        No check fails on any entity owned by this team or its sub-teams.
      </Alert>
    );
  } else {
    const items = failing.value;
    const entities = new Set(items.map(i => i.entityRef)).size;
    content = (
      <>
        <Typography variant="body2" paragraph>
          {items.length} failing checks on {entities} entities.
        </Typography>
        <Box overflow="auto">
          <Table size="small" aria-label="failing checks of the team">
            <TableHead>
              <TableRow>
                <TableCell>Entity</TableCell>
                <TableCell>Check</TableCell>
                <TableCell>Severity</TableCell>
                <TableCell>Since</TableCell>
                <TableCell>How to fix</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {items.slice(0, shown).map(item => (
                <TableRow key={`${item.entityRef}|${item.checkId}`}>
                  <TableCell style={{ whiteSpace: 'nowrap' }}>
                    <Link to={tabLink(item.entityRef)}>
                      {humanizeEntityRef(parseEntityRef(item.entityRef), {
                        defaultKind: 'component',
                      })}
                    </Link>
                    {item.ownerRef !== groupRef && (
                      <Typography
                        variant="caption"
                        color="textSecondary"
                        component="div"
                      >
                        {humanizeEntityRef(parseEntityRef(item.ownerRef), {
                          defaultKind: 'group',
                        })}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell>{item.title}</TableCell>
                  <TableCell>
                    <SeverityChip severity={item.severity} />
                  </TableCell>
                  <TableCell>{formatDate(item.since)}</TableCell>
                  <TableCell>
                    <Typography variant="body2">{item.remediation}</Typography>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
        {items.length > shown && (
          <Button size="small" onClick={() => setShown(n => n + PAGE * 2)}>
            Show more ({items.length - shown} left)
          </Button>
        )}
      </>
    );
  }
  return (
    <InfoCard
      title="Failing compliance checks"
      subheader="Entities owned by this team and its sub-teams"
    >
      {content}
    </InfoCard>
  );
}
