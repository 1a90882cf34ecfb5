"use client";

import { useEffect, useState } from "react";
import type { ThreadSummary, ThreadTurnView } from "../../lib/conversations/thread-view";
import { callApi } from "./api-client";

/**
 * The conversation a question continues: "New conversation", and the asker's recent ones to pick
 * up again. `refreshKey` changes when a question was answered, so the list shows it.
 */
export function ConversationBar(props: {
  threadId: string | null;
  refreshKey: number;
  onNew: () => void;
  onOpen: (threadId: string, turns: ThreadTurnView[]) => void;
}) {
  const { threadId, refreshKey, onNew, onOpen } = props;
  const [threads, setThreads] = useState<ThreadSummary[]>([]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey is the trigger
  useEffect(() => {
    callApi<{ threads: ThreadSummary[] }>("GET", "/api/threads").then(
      (loaded) => setThreads(loaded.threads.slice(0, 20)),
      () => setThreads([]),
    );
  }, [refreshKey]);

  const open = async (id: string) => {
    const loaded = await callApi<{ turns: ThreadTurnView[] }>("GET", `/api/threads/${id}`);
    onOpen(id, loaded.turns);
  };

  return (
    <nav className="conversation-bar" aria-label="Conversations">
      <button type="button" className="secondary" data-testid="new-conversation" onClick={onNew}>
        New conversation
      </button>
      <label className="conversation-picker">
        <span className="muted small">Continue</span>
        <select
          data-testid="conversation-select"
          value={threadId ?? ""}
          onChange={(event) => {
            if (event.target.value) void open(event.target.value);
            else onNew();
          }}
        >
          <option value="">{threadId ? "—" : "a new conversation"}</option>
          {threads.map((thread) => (
            <option key={thread.threadId} value={thread.threadId}>
              {thread.title}
            </option>
          ))}
        </select>
      </label>
    </nav>
  );
}
