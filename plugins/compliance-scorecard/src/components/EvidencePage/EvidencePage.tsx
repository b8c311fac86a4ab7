import { Content } from '@backstage/core-components';
import { usePermission } from '@backstage/plugin-permission-react';
import { complianceEvidenceExportPermission } from '@internal/plugin-compliance-common';
import { Grid } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { Progress } from '@backstage/core-components';
import { ChainVerification } from './ChainVerification';
import { EvidenceExport } from './EvidenceExport';

/** Evidence export and the history chain check, for people who may export evidence (compliance, security). */
export function EvidencePage() {
  const canExport = usePermission({
    permission: complianceEvidenceExportPermission,
  });
  if (canExport.loading) {
    return (
      <Content>
        <Progress />
      </Content>
    );
  }
  if (!canExport.allowed) {
    return (
      <Content>
        <Alert severity="info">
          Exporting evidence and verifying the history are for the compliance
          and security roles. Ask the GRC office if an auditor needs evidence
          from you.
        </Alert>
      </Content>
    );
  }
  return (
    <Content>
      <Grid container spacing={3}>
        <Grid item xs={12} lg={8}>
          <EvidenceExport />
        </Grid>
        <Grid item xs={12} lg={4}>
          <ChainVerification />
        </Grid>
      </Grid>
    </Content>
  );
}
