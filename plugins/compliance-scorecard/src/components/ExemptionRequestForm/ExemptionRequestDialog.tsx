import type {
  Exemption,
  ScorecardCheck,
} from '@internal/plugin-compliance-common';
import {
  Dialog,
  DialogContent,
  DialogContentText,
  DialogTitle,
} from '@material-ui/core';
import { ExemptionRequestForm } from './ExemptionRequestForm';

/** The exemption request form in a dialog. */
export function ExemptionRequestDialog(props: {
  open: boolean;
  entityRef: string;
  checks: ScorecardCheck[];
  checkId?: string;
  onClose: () => void;
  onRequested: (exemption: Exemption) => void;
}) {
  return (
    <Dialog
      open={props.open}
      onClose={props.onClose}
      fullWidth
      maxWidth="sm"
      aria-labelledby="exemption-dialog-title"
    >
      <DialogTitle id="exemption-dialog-title">
        Request an exemption
      </DialogTitle>
      <DialogContent>
        <DialogContentText variant="body2">
          Someone with the compliance role decides; you cannot approve your own
          request. While approved and not expired, the check counts as exempt in
          the score and the evidence.
        </DialogContentText>
        {props.open && (
          <ExemptionRequestForm
            entityRef={props.entityRef}
            checks={props.checks}
            checkId={props.checkId}
            onCancel={props.onClose}
            onRequested={props.onRequested}
          />
        )}
      </DialogContent>
    </Dialog>
  );
}
