"use client";

import { useCallback, useEffect, useState } from "react";
import { type ApiProblem, asProblem } from "./api-client";

/**
 * What every admin view shares: it loads its data (and again after each change), runs one action
 * at a time, shows the last problem and announces the last success in a live region. `load` must
 * be stable (`useCallback`): it sets the view's own state.
 */
export function useAdminPage(load: () => Promise<void>) {
  const [isLoaded, setIsLoaded] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [status, setStatus] = useState("");
  const [isBusy, setIsBusy] = useState(false);

  const reload = useCallback(async () => {
    try {
      await load();
      setIsLoaded(true);
    } catch (error) {
      setProblem(asProblem(error));
    }
  }, [load]);
  useEffect(() => {
    void reload();
  }, [reload]);

  /** Runs one admin action: clears the last error, reports success in the live region, reloads. */
  const act = useCallback(
    async (action: () => Promise<string>) => {
      setIsBusy(true);
      setProblem(null);
      try {
        setStatus(await action());
        await reload();
      } catch (error) {
        setProblem(asProblem(error));
      } finally {
        setIsBusy(false);
      }
    },
    [reload],
  );

  return { isLoaded, problem, setProblem, status, setStatus, isBusy, setIsBusy, act, reload };
}
