"use client";

import { useEffect, useState } from "react";

interface JobRow {
  jobId: string;
  documentTitle: string;
  state: "queued" | "running" | "succeeded" | "failed";
  stage: string;
  progress: number;
  errorCode: string | null;
  errorMessage: string | null;
  pageCount: number | null;
  chunkCount: number | null;
}

const stateLabels: Record<JobRow["state"], string> = {
  queued: "Queued",
  running: "Indexing",
  succeeded: "Indexed",
  failed: "Failed",
};

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** Live ingest progress: polls every second while anything is queued or running. */
export function JobList({ collectionId, refreshKey }: { collectionId: string; refreshKey: number }) {
  const [jobs, setJobs] = useState<JobRow[]>([]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new refreshKey (an upload just finished) restarts polling at once.
  useEffect(() => {
    let isCancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const response = await fetch(`/api/jobs?collectionId=${collectionId}`, { cache: "no-store" }).catch(
        () => null,
      );
      if (isCancelled) return;
      const list = response?.ok ? ((await response.json()) as { jobs: JobRow[] }).jobs : [];
      if (isCancelled) return;
      setJobs(list);
      const isActive = list.some((job) => job.state === "queued" || job.state === "running");
      timer = setTimeout(poll, isActive ? 1000 : 5000);
    };
    void poll();
    return () => {
      isCancelled = true;
      clearTimeout(timer);
    };
  }, [collectionId, refreshKey]);

  return (
    <section className="panel" aria-labelledby="jobs-heading">
      <h2 id="jobs-heading">Upload activity</h2>
      {jobs.length === 0 && <p className="muted">Nothing uploaded here yet.</p>}
      <table className="jobs" data-testid="jobs">
        <tbody>
          {jobs.map((job) => (
            <tr key={job.jobId} data-testid="job-row" data-state={job.state}>
              <td className="title">{job.documentTitle}</td>
              <td>
                <span className={`state state-${job.state}`}>{stateLabels[job.state]}</span>
              </td>
              <td className="progress-cell">
                {job.state === "running" || job.state === "queued" ? (
                  <>
                    <progress max={1} value={job.progress} /> <span className="muted small">{job.stage}</span>
                  </>
                ) : job.state === "succeeded" ? (
                  <span className="muted small">
                    {plural(job.pageCount ?? 0, "page")}, {plural(job.chunkCount ?? 0, "passage")}
                  </span>
                ) : (
                  <span className="error-text" data-testid="job-error">
                    {job.errorMessage}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
