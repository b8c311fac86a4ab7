import type { Exemption } from '@internal/plugin-compliance-common';
import {
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  TextField,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useState } from 'react';
import { ApprovalSubjectDetails } from './ApprovalSubject';

export type Decision = 'approved' | 'rejected' | 'revoked';

const VERBS: Record<Decision, string> = {
  approved: 'Approve',
  rejected: 'Reject',
  revoked: 'Revoke',
};

/**
 * Confirms a decision on an exemption with a note. Rejecting and revoking need a note, so the requester learns
 * why.
 */
export function DecisionDialog(props: {
  exemption: Exemption;
  decision: Decision;
  title: string;
  onCancel: () => void;
  onConfirm: (note: string | undefined) => Promise<void>;
}) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const noteRequired = props.decision !== 'approved';
  const verb = VERBS[props.decision];

  async function confirm() {
    if (noteRequired && !note.trim()) {
      setError(
        `Say why you ${verb.toLowerCase()} it; the requester sees the note.`,
      );
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm(note.trim() || undefined);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  }

  return (
    <Dialog
      open
      onClose={props.onCancel}
      fullWidth
      maxWidth="sm"
      aria-labelledby="decision-title"
    >
      <DialogTitle id="decision-title">
        {verb} the{' '}
        {props.exemption.kind === 'approval' ? 'gate approval' : 'exemption'}{' '}
        for {props.title}
      </DialogTitle>
      <DialogContent>
        <DialogContentText variant="body2">
          {props.exemption.entityRef}, requested by{' '}
          {props.exemption.requestedBy}: “{props.exemption.justification}”
        </DialogContentText>
        {props.exemption.kind === 'approval' && (
          <ApprovalSubjectDetails subject={props.exemption.subject} />
        )}
        <TextField
          id="decision-note"
          label={noteRequired ? 'Note (required)' : 'Note (optional)'}
          value={note}
          onChange={e => setNote(e.target.value)}
          multiline
          minRows={2}
          fullWidth
          variant="outlined"
        />
        {error && (
          <Alert severity="error" style={{ marginTop: 16 }}>
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onCancel} disabled={busy}>
          Cancel
        </Button>
        <Button
          onClick={confirm}
          disabled={busy}
          variant="contained"
          color={props.decision === 'approved' ? 'primary' : 'secondary'}
        >
          {busy ? 'Saving…' : verb}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
