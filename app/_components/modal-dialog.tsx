"use client";

import { type ReactNode, useEffect, useId, useRef } from "react";

/**
 * A native modal `<dialog>`: the browser traps focus, makes the page behind it inert and closes
 * it on Escape. Focus goes back to whatever had it before the dialog opened (the button that
 * opened it), also when the opener re-rendered meanwhile.
 */
export function ModalDialog({
  isOpen,
  title,
  onClose,
  children,
  testId,
}: {
  isOpen: boolean;
  title: string;
  /** Called when the dialog closes by Escape or by the parent setting isOpen false. */
  onClose: () => void;
  children: ReactNode;
  testId?: string;
}) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const openerRef = useRef<HTMLElement | null>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (isOpen && !dialog.open) {
      openerRef.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
    } else if (!isOpen && dialog.open) {
      dialog.close();
    }
  }, [isOpen]);

  return (
    <dialog
      ref={dialogRef}
      className="modal"
      aria-labelledby={titleId}
      data-testid={testId}
      onClose={() => {
        const opener = openerRef.current;
        openerRef.current = null;
        if (opener?.isConnected) opener.focus();
        onClose();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

/** A yes/no question before something that cannot be undone. */
export function ConfirmDialog({
  isOpen,
  title,
  children,
  confirmLabel,
  isBusy = false,
  onConfirm,
  onCancel,
}: {
  isOpen: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  isBusy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <ModalDialog isOpen={isOpen} title={title} onClose={onCancel} testId="confirm-dialog">
      <div className="modal-body">{children}</div>
      <div className="modal-actions">
        {/* Cancel is the first control, so it has focus when the dialog opens: Enter never destroys by accident. */}
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="danger" data-testid="confirm" disabled={isBusy} onClick={onConfirm}>
          {isBusy ? "Working…" : confirmLabel}
        </button>
      </div>
    </ModalDialog>
  );
}
