"use client";

import { useState } from "react";

/** Ends this session on the server, then leaves for the sign-in page (a full load: no stale state). */
export function SignOutButton() {
  const [isBusy, setIsBusy] = useState(false);
  async function signOut() {
    setIsBusy(true);
    // The cookie is cleared by the response; even if the call failed, the sign-in page is right.
    await fetch("/api/auth/sign-out", { method: "POST" }).catch(() => undefined);
    window.location.assign("/sign-in");
  }
  return (
    <button type="button" className="secondary small-button" onClick={signOut} disabled={isBusy}>
      {isBusy ? "Signing out…" : "Sign out"}
    </button>
  );
}
