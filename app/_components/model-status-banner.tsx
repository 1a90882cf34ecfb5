"use client";

import { useEffect, useState } from "react";
import type { ModelAvailability } from "../../lib/domain/model-status";
import { ProblemNotice } from "./problem-notice";

/** Tells the user up front which model is missing and the command that installs it. */
export function ModelStatusBanner() {
  const [missing, setMissing] = useState<ModelAvailability[]>([]);
  useEffect(() => {
    fetch("/api/status", { cache: "no-store" })
      .then((response) => (response.ok ? response.json() : { models: [] }))
      .then((body: { models: ModelAvailability[] }) =>
        setMissing(body.models.filter((model) => !model.isReady)),
      )
      .catch(() => {});
  }, []);
  return (
    <>
      {missing.map((model) =>
        model.problem ? (
          <ProblemNotice
            key={model.kind}
            problem={{
              code: model.problem.code,
              message: model.problem.message,
              command: model.problem.command,
            }}
          />
        ) : null,
      )}
    </>
  );
}
